/**
 * Chooses the JobLauncher a configuration names (used by main.ts only).
 * Local: the job entrypoint as a supervised child process per execution, or
 * (LOCAL_JOB_MODE=worker) one long-lived job worker running them all; either
 * way the job is detached on shutdown, so a run keeps going when the
 * orchestrator stops (as a Cloud Run execution would). A keyed launch (a
 * request's Gemini key) always runs in a job process of its own; in worker
 * mode the launcher's `observe` asks both the worker and those processes.
 * Cloud Run: `JobsClient.runJob`.
 */
import path from 'node:path';
import type { Config, Env } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import type { LaunchWithEnv } from './context.ts';
import { jobEnvFor } from './job-env.ts';
import { getCloudRunLauncher } from './launchers/cloudrun-launcher.ts';
import type { JobLauncher } from './launchers/job-launcher.ts';
import { getLocalLauncher, type LocalLauncher } from './launchers/local-launcher.ts';
import { getLocalWorkerLauncher } from './launchers/local-worker-launcher.ts';

export interface Launchers {
  launcher: JobLauncher;
  /** Local only: a launch whose child gets extra env (a request's Gemini key). */
  launchWithEnv?: LaunchWithEnv;
  close(): Promise<void>;
}

/** job-runner/<name> next to this module: `.ts` from source, `.js` once compiled. */
function jobModule(name: 'main' | 'worker'): string {
  return path.join(import.meta.dirname, '..', 'job-runner', `${name}${path.extname(import.meta.filename)}`);
}

/** The job process's entrypoint (one execution per process). */
export const jobEntrypoint = (): string => jobModule('main');

/** The long-lived job worker's entrypoint (LOCAL_JOB_MODE=worker). */
export const jobWorkerEntrypoint = (): string => jobModule('worker');

export function launchersFromConfig(config: Config, env: Env, logger: Logger): Launchers {
  if (config.launcher.kind === 'cloudrun') {
    const launcher = getCloudRunLauncher({
      jobName: config.launcher.job,
      ...(config.launcher.apiEndpoint ? { apiEndpoint: config.launcher.apiEndpoint } : {}),
      logger,
    });
    return { launcher, close: () => launcher.close() };
  }
  const base = {
    entrypoint: jobEntrypoint(),
    env: jobEnvFor(config, env),
    maxRetries: config.launcher.maxRetries,
    onClose: 'detach' as const,
    logger,
  };
  // Keyed launches (a request's Gemini key) always get a job process of their own, even in worker
  // mode, so the key lives only in that child's env.
  const processes = getLocalLauncher(base);
  const launchWithEnv: LaunchWithEnv = (req, extra) => processes.launch(req, extra);
  if (config.launcher.mode !== 'worker') {
    return { launcher: processes, launchWithEnv, close: () => processes.close() };
  }
  const worker = getLocalWorkerLauncher({ ...base, entrypoint: jobWorkerEntrypoint() });
  const launcher: LocalLauncher = {
    ...worker,
    // An execution is in the worker or, when it was keyed, in a process of its own: whichever knows it answers.
    observe: async (executionId, platformExecution) => {
      const [inWorker, inProcess] = await Promise.all([
        worker.observe(executionId, platformExecution),
        processes.observe(executionId, platformExecution),
      ]);
      return inWorker.state === 'unknown' && inProcess.state !== 'unknown' ? inProcess : inWorker;
    },
  };
  return {
    launcher,
    launchWithEnv,
    close: async () => {
      await Promise.all([worker.close(), processes.close()]);
    },
  };
}
