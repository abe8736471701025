/**
 * The local JobLauncher in worker mode (LOCAL_JOB_MODE=worker): one
 * long-lived job worker process (`job-runner/worker.ts`) runs every execution,
 * handed to it over IPC, so a run pays no process start-up and twenty runs at
 * once do not queue twenty Node start-ups for the CPU.
 *
 * Supervision is the process mode's, per execution: an attempt that ends
 * non-zero is started again (CLOUD_RUN_TASK_ATTEMPT + 1) up to `maxRetries`;
 * when the worker dies (a crash, kill -9), every attempt it was running
 * failed, a fresh worker is started, and those attempts are retried on it,
 * where replay resumes them. What a worker shares is its process; every
 * execution still takes its run's lease and writes only through the log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access } from 'node:fs/promises';
import { isFromWorker, type ToWorker } from '../../shared/job-worker-protocol.ts';
import { executionRegistry } from './execution-registry.ts';
import { LaunchError, type LaunchRequest, type LaunchResult } from './job-launcher.ts';
import {
  localLaunchDefaults, shortSuffix,
  type LocalExecutionEnd, type LocalLauncher, type LocalLauncherOptions, type LocalRunningTask,
} from './local-launcher.ts';
import { signalGroup } from './task-supervisor.ts';

/** The process mode's options, less the per-attempt timeout (stopping one attempt must not kill its neighbours). */
export type LocalWorkerLauncherOptions = Omit<LocalLauncherOptions, 'taskTimeoutSeconds'> & {
  /** Start the worker now (default), so the first run does not wait for it; false starts it on the first launch. */
  warm?: boolean;
};

interface Worker {
  child: ChildProcess;
  pid: number;
  /** Resolves on the worker's `ready`; rejects if it exits first. */
  ready: Promise<void>;
  alive: boolean;
}

interface Execution {
  req: LaunchRequest;
  name: string;
  short: string;
  /** The attempt running now (0-based), or null between attempts and after the end. */
  attempt: number | null;
  worker: Worker | null;
  started: number;
  stopping: boolean;
  end: Promise<LocalExecutionEnd>;
  finish: (outcome: LocalExecutionEnd['outcome'], code: number | null, signal: NodeJS.Signals | null) => void;
}

export function getLocalWorkerLauncher(options: LocalWorkerLauncherOptions): LocalLauncher {
  const { maxRetries, logger, jobName, killGraceMs, execPath } = localLaunchDefaults(options);
  const env = { ...options.env, CLOUD_RUN_JOB: jobName };
  const executions = executionRegistry<Execution>();
  let worker: Worker | null = null;
  let closed = false;

  /** The handle of the attempt running now, as the worker echoes it back. */
  const attemptIdOf = (e: Execution): string => `${e.short}-${e.attempt}`;
  const inFlight = (): Execution[] => executions.all().filter((e) => e.attempt !== null);

  const attemptEnded = (e: Execution, code: number | null, signal: NodeJS.Signals | null): void => {
    const attempt = e.attempt;
    if (attempt === null) return;
    e.attempt = null;
    e.worker = null;
    const fields = { runId: e.req.runId, executionId: e.req.executionId, execution: e.name, attempt, code, signal };
    if (code === 0) return e.finish('succeeded', code, signal);
    const willRetry = !e.stopping && !closed && attempt < maxRetries;
    logger.warn({ ...fields, willRetry }, willRetry ? 'job attempt failed; starting it again' : 'job attempt failed');
    if (e.stopping || closed) return e.finish('stopped', code, signal);
    if (!willRetry) return e.finish('failed', code, signal);
    setImmediate(() => dispatch(e, attempt + 1));
  };

  const startWorker = (): Worker => {
    const out = options.stdio === 'ignore' ? 'ignore' : 2;
    const child = spawn(execPath, [...(options.execArgv ?? []), options.entrypoint], {
      env, detached: true, stdio: ['ignore', out, out, 'ipc'], windowsHide: true,
    });
    if (child.pid === undefined) {
      // The reason arrives as an 'error' event; a worker that never started has nothing to clean up.
      child.once('error', () => undefined);
      throw new LaunchError('could not start the job worker', { retryable: true, code: 'spawn_failed' });
    }
    let markReady!: () => void;
    let markGone!: (err: Error) => void;
    const ready = new Promise<void>((resolve, reject) => { markReady = resolve; markGone = reject; });
    ready.catch(() => undefined);
    const w: Worker = { child, pid: child.pid, ready, alive: true };
    child.on('message', (m: unknown) => {
      if (!isFromWorker(m)) return;
      if (m.type === 'ready') return markReady();
      const e = inFlight().find((x) => x.worker === w && attemptIdOf(x) === m.attemptId);
      if (e) attemptEnded(e, m.exitCode, null);
    });
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      w.alive = false;
      if (worker === w) worker = null;
      markGone(new Error('job worker exited'));
      const lost = inFlight().filter((e) => e.worker === w);
      if (lost.length > 0 || !closed) logger.warn({ pid: w.pid, code, signal, executions: lost.length }, 'job worker exited');
      // An attempt the worker never reported ended with it: failed, whatever the exit code says.
      for (const e of lost) attemptEnded(e, code === 0 ? 1 : code, signal);
    });
    logger.info({ pid: w.pid }, 'job worker started');
    return w;
  };

  const currentWorker = (): Worker => {
    if (!worker?.alive) worker = startWorker();
    return worker;
  };

  const dispatch = (e: Execution, attempt: number): void => {
    if (closed) return e.finish('stopped', null, null);
    e.started = attempt + 1;
    let w: Worker;
    try {
      w = currentWorker();
    } catch {
      // No worker could be started: this attempt failed; the retry budget decides what follows.
      e.attempt = attempt;
      return attemptEnded(e, null, null);
    }
    e.attempt = attempt;
    e.worker = w;
    const message: ToWorker = {
      type: 'start', attemptId: attemptIdOf(e), runId: e.req.runId, executionId: e.req.executionId,
      cloudRunExecution: e.short, taskAttempt: attempt,
    };
    logger.info({ runId: e.req.runId, executionId: e.req.executionId, execution: e.name, attempt, pid: w.pid }, 'job attempt started');
    // Before `ready`, the start waits; if the worker dies first, its exit handler fails this attempt.
    w.ready.then(() => { if (w.alive && e.worker === w && attemptIdOf(e) === message.attemptId) w.child.send(message); }, () => undefined);
  };

  const launch = async (req: LaunchRequest): Promise<LaunchResult> => {
    if (closed) throw new LaunchError('local launcher is closed', { retryable: false, code: 'closed' });
    try {
      await access(options.entrypoint);
    } catch {
      throw new LaunchError(`job worker entrypoint not found: ${options.entrypoint}`, { retryable: false, code: 'ENOENT' });
    }
    currentWorker();
    const short = `local-${shortSuffix()}`;
    const name = `local/executions/${short}`;
    let finish!: Execution['finish'];
    const end = new Promise<LocalExecutionEnd>((resolve) => {
      finish = (outcome, code, signal) => {
        const info: LocalExecutionEnd = { runId: req.runId, executionId: req.executionId, name, outcome, code, signal, attempts: e.started };
        e.finish = () => undefined;
        logger.info({ runId: req.runId, executionId: req.executionId, execution: name, outcome, code, signal, attempts: e.started }, 'job execution ended');
        try {
          options.onExit?.(info);
        } catch (err) {
          logger.error({ execution: name, err: String(err) }, 'onExit hook threw');
        }
        executions.ended(name);
        resolve(info);
      };
    });
    const e: Execution = { req, name, short, attempt: null, worker: null, started: 0, stopping: false, end, finish };
    executions.add(name, e);
    dispatch(e, 0);
    return { backend: 'local', name };
  };

  if (options.warm ?? true) {
    try {
      worker = startWorker();
    } catch (err) {
      logger.warn({ err: String(err) }, 'job worker could not be started ahead of the first run');
    }
  }

  return {
    backend: 'local',
    launch,
    running: (): LocalRunningTask[] => inFlight()
      .filter((e) => e.worker?.alive)
      .map((e) => ({ runId: e.req.runId, executionId: e.req.executionId, name: e.name, pid: e.worker?.pid ?? 0, attempt: e.attempt ?? 0 })),
    waitFor: (idOrName) => {
      const e = executions.find(idOrName);
      return e ? e.end : Promise.reject(new RangeError(`unknown local execution: ${idOrName}`));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      const w = worker;
      const open = inFlight();
      if (!w?.alive) {
        for (const e of open) e.finish('stopped', null, null);
        return;
      }
      if ((options.onClose ?? 'terminate') === 'detach') {
        // The worker finishes what it runs and exits when it sees the channel close.
        for (const e of open) e.finish('stopped', null, null);
        w.child.disconnect();
        w.child.unref();
        return;
      }
      for (const e of open) e.stopping = true;
      const gone = new Promise<void>((resolve) => { if (!w.alive) resolve(); else w.child.once('exit', () => resolve()); });
      signalGroup(w.pid, 'SIGTERM');
      const kill = setTimeout(() => signalGroup(w.pid, 'SIGKILL'), killGraceMs);
      await gone;
      clearTimeout(kill);
      await Promise.all(open.map((e) => e.end));
    },
  };
}
