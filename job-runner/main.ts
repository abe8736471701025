/**
 * The Cloud Run Job entrypoint (and the local launcher's child in process
 * mode): the composition root of a job process, one execution per process. Reads RUN_ID and EXECUTION_ID, runs the
 * execution, and exits 0 for a terminal run state (or nothing to do) and
 * non-zero for infrastructure trouble or SIGTERM, so the platform's task retry
 * resumes by replay.
 */
import { ensureError } from '../shared/logger.ts';
import { isRunId } from '../shared/store/keys.ts';
import { executeRun, fail, jobConfig, openJob } from './compose.ts';

/** Cloud Run sends SIGKILL 10 s after SIGTERM: be gone well before. */
const SIGTERM_DEADLINE_MS = 8_000;

/**
 * `SCENARIOFORGE_FAILPOINT=<name>:<n>` kills this process with SIGKILL at the
 * n-th time the runner passes that point: how the crash tests pick their instant.
 */
function failpointsFrom(spec: string | undefined): { failpoint?: (name: string) => void } {
  const m = spec ? /^([a-z-]+):(\d+)$/.exec(spec.trim()) : null;
  if (!spec) return {};
  if (!m) fail('SCENARIOFORGE_FAILPOINT: must be <name>:<n>');
  const [, target, nth] = m;
  let hits = 0;
  return {
    failpoint: (name) => {
      if (name === target && ++hits === Number(nth)) process.kill(process.pid, 'SIGKILL');
    },
  };
}

async function main(): Promise<number> {
  const config = jobConfig();
  const runId = process.env.RUN_ID?.trim() ?? '';
  const executionId = process.env.EXECUTION_ID?.trim() ?? '';
  const taskAttempt = process.env.CLOUD_RUN_TASK_ATTEMPT?.trim();
  if (!isRunId(runId)) fail('RUN_ID: must be a run id (a lowercase UUID)');
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(executionId)) fail('EXECUTION_ID: must be 1–128 letters, digits, "-" or "_"');
  if (taskAttempt !== undefined && taskAttempt !== '' && !/^\d+$/.test(taskAttempt)) fail('CLOUD_RUN_TASK_ATTEMPT: must be a non-negative integer');
  const failpoints = failpointsFrom(process.env.SCENARIOFORGE_FAILPOINT);
  const job = await openJob(config, 'job-runner');
  const { logger } = job;

  const stop = new AbortController();
  process.once('SIGTERM', () => {
    logger.warn({ runId, executionId }, 'SIGTERM: stopping, flushing, releasing the lease');
    stop.abort();
    setTimeout(() => {
      logger.error({ runId, executionId }, 'SIGTERM deadline passed; exiting');
      process.exit(143);
    }, SIGTERM_DEADLINE_MS).unref();
  });

  const result = await executeRun(job, {
    runId,
    executionId,
    ...(process.env.CLOUD_RUN_EXECUTION ? { cloudRunExecution: process.env.CLOUD_RUN_EXECUTION } : {}),
    ...(taskAttempt ? { taskAttempt: Number(taskAttempt) } : {}),
  }, stop.signal, failpoints.failpoint);
  logger.info({ runId, executionId, outcome: result.outcome, attempts: result.attempts }, 'execution ended');
  await job.publisher.close().catch(() => undefined);
  return result.exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${JSON.stringify({ severity: 'ERROR', message: `job failed: ${ensureError(err).message}` })}\n`);
    process.exit(1);
  },
);
