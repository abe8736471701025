/**
 * The local JobLauncher: runs the job entrypoint as a detached child process
 * and supervises it the way Cloud Run supervises a task, so the job cannot
 * tell the two apart (same env names, same retry-by-replay behaviour).
 */
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import {
  LaunchError, silentLogger,
  type JobLauncher, type LaunchRequest, type LaunchResult, type LauncherLogger,
} from './job-launcher.ts';
import { executionRegistry, type EndedObservation } from './execution-registry.ts';
import {
  describeAttempt, superviseTask,
  type AttemptRecord, type SupervisedTask, type TaskEnd, type TaskOutcome, type TaskStdio,
} from './task-supervisor.ts';

export interface LocalLauncherOptions {
  /** Absolute path of the job entrypoint (job-runner/main.ts), run with `execPath`. */
  entrypoint: string;
  /**
   * The child's base environment, e.g. the store config. `process.env` is not
   * inherited: pass what the job needs. Env, never argv, is where secrets go.
   */
  env: Record<string, string>;
  /** Task retries after the first attempt (JOB_MAX_RETRIES); 0–10, default 3. */
  maxRetries?: number;
  /** Where the child's stdout/stderr go: this process's stderr (default) or nowhere. */
  stdio?: TaskStdio;
  /** Reported as CLOUD_RUN_JOB; default `scenarioforge-local`. */
  jobName?: string;
  /** Per-attempt timeout, like the Cloud Run task timeout. Default: none. */
  taskTimeoutSeconds?: number;
  /** SIGTERM → SIGKILL delay for timeouts and for close(); default 10 000 ms like Cloud Run. */
  killGraceMs?: number;
  /** On close(): SIGTERM the children (default) or leave them running unsupervised. */
  onClose?: 'terminate' | 'detach';
  /** The Node binary; default `process.execPath` (Node 22, which runs .ts directly). */
  execPath?: string;
  /** Extra Node flags placed before the entrypoint (no secrets). */
  execArgv?: string[];
  /** Called once per execution when it has ended for good. */
  onExit?: (info: LocalExecutionEnd) => void;
  logger?: LauncherLogger;
}

export interface LocalExecutionEnd {
  runId: string;
  executionId: string;
  /** The LaunchResult name, `local/executions/<short>`. */
  name: string;
  outcome: TaskOutcome;
  /** Exit code of the last attempt; null when it died by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Attempts started (1 + retries). */
  attempts: number;
}

export interface LocalRunningTask {
  runId: string;
  executionId: string;
  name: string;
  pid: number;
  /** 0-based, as CLOUD_RUN_TASK_ATTEMPT. */
  attempt: number;
}

export interface LocalLauncher extends JobLauncher {
  readonly backend: 'local';
  /** The attempts alive right now. */
  running(): LocalRunningTask[];
  /**
   * Resolves when the execution has ended for good. Takes an executionId (the
   * latest launch with that id) or a LaunchResult name. Rejects for an unknown one.
   */
  waitFor(executionIdOrName: string): Promise<LocalExecutionEnd>;
}

/** Process mode: every execution is a child process of its own, so it can carry env of its own. */
export interface LocalProcessLauncher extends LocalLauncher {
  /**
   * `extraEnv` goes into this execution's child only, over the base env (a
   * request's Gemini key: it then lives in no other process).
   */
  launch(req: LaunchRequest, extraEnv?: Record<string, string>): Promise<LaunchResult>;
}

interface Execution {
  req: LaunchRequest;
  name: string;
  /** `local:<pid>` of the first attempt, once it is spawned. */
  handle: string;
  task: SupervisedTask;
  end: Promise<LocalExecutionEnd>;
}

const SHORT_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Five lowercase alphanumerics, like the suffix of a Cloud Run execution name. */
export function shortSuffix(): string {
  return [...randomBytes(5)].map((b) => SHORT_ALPHABET[b % SHORT_ALPHABET.length]).join('');
}

/** "3 attempts (JOB_MAX_RETRIES=2)" — how a local execution's reason counts its attempts. */
export function attemptsPhrase(attempts: number, maxRetries?: number): string {
  const n = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
  return maxRetries === undefined ? n : `${n} (JOB_MAX_RETRIES=${maxRetries})`;
}

/** What became of a process-mode execution, in words a judge can read. */
export function describeTaskEnd(end: TaskEnd, maxRetries: number): EndedObservation {
  const last = end.history.at(-1);
  const endedAt = last?.endedAt?.toISOString();
  const how = last ? describeAttempt(last) : 'never started';
  const at = endedAt !== undefined ? { endedAt } : {};
  switch (end.outcome) {
    case 'succeeded':
      return { state: 'ended', outcome: 'succeeded', reason: `the job process exited with code 0 after ${attemptsPhrase(end.attempts)}`, ...at };
    case 'failed':
      return { state: 'ended', outcome: 'failed', reason: `the job process ${how} after ${attemptsPhrase(end.attempts, maxRetries)}`, ...at };
    case 'stopped':
      return { state: 'ended', outcome: 'cancelled', reason: `the orchestrator stopped the execution; its job process ${how} after ${attemptsPhrase(end.attempts)}`, ...at };
  }
}

/** The options both local launchers share, checked and with their defaults (as Cloud Run's). */
export function localLaunchDefaults(options: LocalLauncherOptions) {
  if (!isAbsolute(options.entrypoint)) throw new RangeError(`entrypoint must be an absolute path, got ${options.entrypoint}`);
  const maxRetries = options.maxRetries ?? 3;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 10) {
    throw new RangeError(`maxRetries must be an integer 0–10 (JOB_MAX_RETRIES), got ${maxRetries}`);
  }
  return {
    maxRetries,
    logger: options.logger ?? silentLogger,
    jobName: options.jobName ?? 'scenarioforge-local',
    killGraceMs: options.killGraceMs ?? 10_000,
    execPath: options.execPath ?? process.execPath,
  };
}

export function getLocalLauncher(options: LocalLauncherOptions): LocalProcessLauncher {
  const { maxRetries, logger, jobName, killGraceMs, execPath } = localLaunchDefaults(options);
  const baseEnv = { ...options.env };
  const executions = executionRegistry<Execution>();
  let closed = false;

  /** The task as Cloud Run would run it: same env names, same retries, same timeout. */
  const supervise = (req: LaunchRequest, short: string, extraEnv: Record<string, string>, fields: Record<string, unknown>): SupervisedTask =>
    superviseTask({
      command: execPath,
      args: [...(options.execArgv ?? []), options.entrypoint],
      envFor: (attempt) => ({
        ...baseEnv,
        ...extraEnv,
        RUN_ID: req.runId,
        EXECUTION_ID: req.executionId,
        CLOUD_RUN_JOB: jobName,
        CLOUD_RUN_EXECUTION: short,
        CLOUD_RUN_TASK_INDEX: '0',
        CLOUD_RUN_TASK_ATTEMPT: String(attempt),
        CLOUD_RUN_TASK_COUNT: '1',
      }),
      maxRetries,
      stdio: options.stdio ?? 'stderr',
      ...(options.taskTimeoutSeconds !== undefined ? { attemptTimeoutMs: options.taskTimeoutSeconds * 1000 } : {}),
      killGraceMs,
    }, {
      onAttemptStart: (r: AttemptRecord) => logger.info({ ...fields, attempt: r.attempt, pid: r.pid }, 'job attempt started'),
      onAttemptEnd: (r: AttemptRecord, willRetry: boolean) => {
        const f = { ...fields, attempt: r.attempt, pid: r.pid, code: r.code, signal: r.signal, spawnError: r.spawnError, timedOut: r.timedOut, willRetry };
        if (r.code === 0) logger.info(f, 'job attempt exited');
        else logger.warn(f, willRetry ? 'job attempt failed; starting it again' : 'job attempt failed');
      },
    });

  /** Once the task is over: log it, tell onExit, and keep what became of it for observe(). */
  const recordEnd = (req: LaunchRequest, name: string, taskEnd: TaskEnd, fields: Record<string, unknown>): LocalExecutionEnd => {
    const info: LocalExecutionEnd = {
      runId: req.runId, executionId: req.executionId, name,
      outcome: taskEnd.outcome, code: taskEnd.code, signal: taskEnd.signal, attempts: taskEnd.attempts,
    };
    const observed = taskEnd.detached ? 'detached' : describeTaskEnd(taskEnd, maxRetries);
    logger.info({ ...fields, outcome: info.outcome, code: info.code, signal: info.signal, attempts: info.attempts,
      ...(observed === 'detached' ? {} : { reason: observed.reason }) }, 'job execution ended');
    try {
      options.onExit?.(info);
    } catch (err) {
      logger.error({ ...fields, err: String(err) }, 'onExit hook threw');
    }
    executions.ended(name, observed);
    return info;
  };

  const launch = async (req: LaunchRequest, extraEnv: Record<string, string> = {}): Promise<LaunchResult> => {
    if (closed) throw new LaunchError('local launcher is closed', { retryable: false, code: 'closed' });
    try {
      await access(options.entrypoint);
    } catch {
      throw new LaunchError(`job entrypoint not found: ${options.entrypoint}`, { retryable: false, code: 'ENOENT' });
    }
    const short = `local-${shortSuffix()}`;
    const name = `local/executions/${short}`;
    const fields = { runId: req.runId, executionId: req.executionId, execution: name };
    const task = supervise(req, short, extraEnv, fields);
    const end = task.done.then((taskEnd) => recordEnd(req, name, taskEnd, fields));
    const execution: Execution = { req, name, handle: '', task, end };
    executions.add(name, execution);
    try {
      const first = await task.started;
      execution.handle = `local:${first.pid}`;
    } catch (err) {
      executions.remove(name);
      const code = (err as NodeJS.ErrnoException).code ?? 'spawn_failed';
      // EAGAIN/ENOMEM pass; a missing Node binary does not.
      throw new LaunchError(`could not start the job process: ${code}`, { retryable: code !== 'ENOENT' && code !== 'EACCES', code });
    }
    return { backend: 'local', name, platformExecution: execution.handle };
  };

  return {
    backend: 'local',
    launch,
    observe: (executionId, platformExecution) => executions.observe(executionId, platformExecution),
    running: () => {
      const out: LocalRunningTask[] = [];
      for (const e of executions.all()) {
        const cur = e.task.current();
        if (cur) out.push({ runId: e.req.runId, executionId: e.req.executionId, name: e.name, pid: cur.pid, attempt: cur.attempt });
      }
      return out;
    },
    waitFor: (idOrName) => {
      const e = executions.find(idOrName);
      return e ? e.end : Promise.reject(new RangeError(`unknown local execution: ${idOrName}`));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      const tasks = executions.all().map((e) => e.task);
      if ((options.onClose ?? 'terminate') === 'detach') {
        for (const t of tasks) t.detach();
        return;
      }
      await Promise.all(tasks.map((t) => t.stop(killGraceMs)));
    },
  };
}
