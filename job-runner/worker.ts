/**
 * The long-lived job worker (LOCAL_JOB_MODE=worker): the local launcher starts
 * one of these and hands it executions over IPC, so a run pays no process
 * start-up and many runs share one warm process, as a Restate or DBOS worker
 * does. Each execution runs exactly as in a job process (same lease, replay,
 * events and exit code); the launcher retries an attempt that ended non-zero,
 * and every attempt in flight when the worker dies, on a fresh worker.
 *
 * SIGTERM stops every attempt, flushes, releases the leases and exits 143
 * within 8 s. When the launcher goes away (the orchestrator stopped), the
 * worker takes no new work, finishes what it runs, and exits.
 */
import { isToWorker, type FromWorker, type StartMessage } from '../shared/job-worker-protocol.ts';
import { ensureError } from '../shared/logger.ts';
import { isRunId } from '../shared/store/keys.ts';
import { executeRun, fail, jobConfig, openJob, type Job } from './compose.ts';

const SIGTERM_DEADLINE_MS = 8_000;
const EXECUTION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** To the launcher; once it is gone there is no one to tell. */
function send(message: FromWorker): void {
  if (process.connected) process.send?.(message);
}

async function main(): Promise<void> {
  if (!process.send) fail('worker: start it through the local launcher (LOCAL_JOB_MODE=worker); it needs an IPC channel');
  const job: Job = await openJob(jobConfig(), 'job-worker');
  const { logger } = job;
  const attempts = new Map<string, { stop: AbortController; done: Promise<void> }>();
  let closing = false;

  const exitWhenIdle = async (code: number): Promise<never> => {
    await Promise.allSettled([...attempts.values()].map((a) => a.done));
    await job.publisher.close().catch(() => undefined);
    process.exit(code);
  };

  const start = (m: StartMessage): void => {
    if (closing || attempts.has(m.attemptId)) return;
    const { attemptId, runId, executionId } = m;
    if (!isRunId(runId) || !EXECUTION_ID.test(executionId)) {
      send({ type: 'ended', attemptId, exitCode: 2, outcome: 'invalid' });
      return;
    }
    const stop = new AbortController();
    const done = executeRun(job, { runId, executionId, cloudRunExecution: m.cloudRunExecution, taskAttempt: m.taskAttempt }, stop.signal).then(
      (result) => {
        logger.info({ runId, executionId, outcome: result.outcome, attempts: result.attempts }, 'execution ended');
        send({ type: 'ended', attemptId, exitCode: result.exitCode, outcome: result.outcome });
      },
      (err: unknown) => {
        logger.error({ runId, executionId, err: ensureError(err).message }, 'execution failed');
        send({ type: 'ended', attemptId, exitCode: 1, outcome: 'error' });
      },
    ).finally(() => attempts.delete(attemptId));
    attempts.set(attemptId, { stop, done });
  };

  process.on('message', (m: unknown) => {
    if (!isToWorker(m)) return logger.warn('ignored a malformed message from the launcher');
    if (m.type === 'start') return start(m);
    attempts.get(m.attemptId)?.stop.abort();
  });

  process.once('disconnect', () => {
    logger.info({ executions: attempts.size }, 'launcher gone: finishing the executions in flight, then exiting');
    closing = true;
    void exitWhenIdle(0);
  });

  process.once('SIGTERM', () => {
    logger.warn({ executions: attempts.size }, 'SIGTERM: stopping every execution, flushing, releasing the leases');
    closing = true;
    for (const a of attempts.values()) a.stop.abort();
    setTimeout(() => {
      logger.error('SIGTERM deadline passed; exiting');
      process.exit(143);
    }, SIGTERM_DEADLINE_MS).unref();
    void exitWhenIdle(143);
  });

  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ severity: 'ERROR', message: `job worker failed: ${ensureError(err).message}` })}\n`);
  process.exit(1);
});
