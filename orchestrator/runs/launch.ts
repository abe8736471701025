/**
 * Starting an execution that `execution.requested` already recorded: ask the
 * JobLauncher, then record what it started (`execution.launched`, e.g. the
 * Cloud Run execution name). A launch that fails leaves the run queued with
 * its request on record; the caller reports a warning, and the reconciler
 * launches it again (same execution id) once LAUNCH_GRACE_S has passed.
 */
import type { RunState } from '../../shared/domain/run-state.ts';
import { ensureError } from '../../shared/logger.ts';
import type { AppContext } from '../context.ts';
import { LaunchError, platformExecutionOf, type LaunchResult } from '../launchers/job-launcher.ts';
import { commit } from './commit.ts';

export interface LaunchOutcome {
  /** The run after the launch was recorded (or as it was, when it was not). */
  state: RunState | null;
  launched: LaunchResult | null;
  warnings: string[];
}

export async function launchExecution(
  app: AppContext,
  runId: string,
  executionId: string,
  jobEnv: Record<string, string> | null,
): Promise<LaunchOutcome> {
  const log = app.logger.child({ runId, executionId });
  let launched: LaunchResult;
  try {
    launched = jobEnv && app.launchWithEnv
      ? await app.launchWithEnv({ runId, executionId }, jobEnv)
      : await app.launcher.launch({ runId, executionId });
  } catch (err) {
    const e = ensureError(err);
    const code = err instanceof LaunchError ? err.code : e.name;
    log.error({ code, retryable: err instanceof LaunchError ? err.retryable : null, err: e.message }, 'execution could not be launched; the run stays queued');
    return {
      state: null,
      launched: null,
      warnings: [`the execution could not be started (${code}); the run stays queued and is launched again within LAUNCH_GRACE_S (or POST /runs/${runId}/resume now)`],
    };
  }
  log.info({ backend: launched.backend, execution: launched.name }, 'execution launched');
  try {
    // The platform's own handle, which `observe` is asked with later (Cloud Run: the execution name).
    const decided = await commit(app, runId, [{ type: 'RecordLaunch', executionId, backend: launched.backend, name: platformExecutionOf(launched) }]);
    return { state: decided.state, launched, warnings: [] };
  } catch (err) {
    // The job runs either way; only the record of its name is missing.
    log.warn({ err: ensureError(err).message }, 'could not record the launched execution');
    return { state: null, launched, warnings: [] };
  }
}
