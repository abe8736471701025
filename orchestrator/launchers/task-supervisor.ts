/**
 * Runs one Cloud Run-style task on this machine: a child process that is
 * started again when it fails (non-zero exit or death by a signal), up to
 * `maxRetries` times, with `CLOUD_RUN_TASK_ATTEMPT` counting up from 0.
 * Exit 0 ends the task. A per-attempt timeout, and stop(), send SIGTERM and
 * then SIGKILL after a grace period, as Cloud Run does.
 *
 * Each attempt is its own process group (`detached: true`), so a Ctrl-C meant
 * for the orchestrator does not reach the job, and stopping a task also stops
 * anything the job spawned.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export type TaskStdio = 'stderr' | 'ignore';

export interface TaskSpec {
  /** The executable; for a TypeScript job entrypoint, `process.execPath` (Node 22). */
  command: string;
  /** Arguments only: no secret ever goes here (argv is visible to every local user). */
  args: readonly string[];
  /** The whole environment of attempt `n` (process.env is not inherited). */
  envFor: (attempt: number) => Record<string, string>;
  /** Retries after the first attempt; Cloud Run allows 0–10. */
  maxRetries: number;
  /** `stderr`: the child's stdout and stderr both go to this process's stderr. */
  stdio: TaskStdio;
  /** Kill an attempt that runs longer than this (it then counts as failed). */
  attemptTimeoutMs?: number;
  /** SIGTERM → SIGKILL delay for timeouts; Cloud Run uses 10 s. */
  killGraceMs?: number;
  /** Pause before starting a retry. Replay needs none, so the default is 0. */
  retryDelayMs?: number;
}

export interface AttemptRecord {
  attempt: number;
  pid: number | undefined;
  startedAt: Date;
  endedAt: Date | null;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the attempt could not be spawned at all. */
  spawnError: string | null;
  timedOut: boolean;
}

export type TaskOutcome = 'succeeded' | 'failed' | 'stopped';

export interface TaskEnd {
  outcome: TaskOutcome;
  /** Exit code of the last attempt (null when it died by a signal). */
  code: number | null;
  /** Signal that ended the last attempt, if any. */
  signal: NodeJS.Signals | null;
  /** Number of attempts started. */
  attempts: number;
  history: AttemptRecord[];
}

export interface TaskHooks {
  onAttemptStart?: (record: AttemptRecord) => void;
  onAttemptEnd?: (record: AttemptRecord, willRetry: boolean) => void;
}

export interface SupervisedTask {
  /** Resolves once the first attempt has a pid; rejects if it could not be spawned. */
  readonly started: Promise<AttemptRecord>;
  /** Resolves when the task ends, whatever the outcome. Never rejects. */
  readonly done: Promise<TaskEnd>;
  /** The running attempt, if any. */
  current(): { attempt: number; pid: number } | null;
  history(): readonly AttemptRecord[];
  /** SIGTERM the running attempt's group, SIGKILL after `graceMs`; no retry follows. */
  stop(graceMs: number): Promise<TaskEnd>;
  /** Stop supervising without touching the child: no retries, and it no longer keeps this process alive. */
  detach(): void;
}

const DEFAULT_KILL_GRACE_MS = 10_000;

/** Sends `signal` to the process group led by `pid`; a group already gone is fine. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

export function superviseTask(spec: TaskSpec, hooks: TaskHooks = {}): SupervisedTask {
  const history: AttemptRecord[] = [];
  let child: ChildProcess | null = null;
  let running: AttemptRecord | null = null;
  let stopping = false;
  let detached = false;
  let ended: TaskEnd | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let killTimer: NodeJS.Timeout | null = null;
  let attemptTimer: NodeJS.Timeout | null = null;

  let resolveDone!: (end: TaskEnd) => void;
  const done = new Promise<TaskEnd>((resolve) => { resolveDone = resolve; });
  let resolveStarted!: (record: AttemptRecord) => void;
  let rejectStarted!: (err: Error) => void;
  const started = new Promise<AttemptRecord>((resolve, reject) => { resolveStarted = resolve; rejectStarted = reject; });
  // A caller that only awaits `done` must not see an unhandled rejection.
  started.catch(() => undefined);

  const clearTimers = (): void => {
    for (const t of [retryTimer, killTimer, attemptTimer]) if (t) clearTimeout(t);
    retryTimer = killTimer = attemptTimer = null;
  };

  const finish = (outcome: TaskOutcome): void => {
    if (ended) return;
    clearTimers();
    const last = history.at(-1);
    ended = { outcome, code: last?.code ?? null, signal: last?.signal ?? null, attempts: history.length, history: [...history] };
    resolveDone(ended);
  };

  const terminate = (pid: number, graceMs: number): void => {
    signalGroup(pid, 'SIGTERM');
    if (killTimer) clearTimeout(killTimer);
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    killTimer.unref();
  };

  const onAttemptEnd = (record: AttemptRecord): void => {
    child = null;
    running = null;
    if (attemptTimer) clearTimeout(attemptTimer);
    if (killTimer) clearTimeout(killTimer);
    attemptTimer = killTimer = null;
    record.endedAt = new Date();
    const succeeded = record.code === 0 && record.spawnError === null;
    const willRetry = !succeeded && !stopping && !detached && record.attempt < spec.maxRetries;
    hooks.onAttemptEnd?.(record, willRetry);
    if (succeeded) return finish('succeeded');
    if (stopping || detached) return finish('stopped');
    if (!willRetry) return finish('failed');
    const delay = spec.retryDelayMs ?? 0;
    retryTimer = setTimeout(() => { retryTimer = null; startAttempt(record.attempt + 1); }, delay);
  };

  const startAttempt = (attempt: number): void => {
    const record: AttemptRecord = {
      attempt, pid: undefined, startedAt: new Date(), endedAt: null,
      code: null, signal: null, spawnError: null, timedOut: false,
    };
    history.push(record);
    const proc = spawn(spec.command, [...spec.args], {
      env: spec.envFor(attempt),
      detached: true,
      stdio: spec.stdio === 'stderr' ? ['ignore', 2, 2] : 'ignore',
      windowsHide: true,
    });
    if (proc.pid === undefined) {
      // Spawn failed (ENOENT, EAGAIN, …); the reason arrives as an 'error' event.
      proc.once('error', (err: NodeJS.ErrnoException) => {
        record.spawnError = err.code ?? err.message;
        if (attempt > 0) return onAttemptEnd(record);
        // The first spawn failing is the launcher's error to report, not a task retry.
        record.endedAt = new Date();
        rejectStarted(err);
        finish('failed');
      });
      return;
    }
    const pid = proc.pid;
    record.pid = pid;
    child = proc;
    running = record;
    proc.once('exit', (code, signal) => {
      record.code = code;
      record.signal = signal;
      onAttemptEnd(record);
    });
    // After a successful spawn an 'error' can only come from kill(); the 'exit' handler decides.
    proc.on('error', () => undefined);
    if (spec.attemptTimeoutMs !== undefined) {
      attemptTimer = setTimeout(() => {
        record.timedOut = true;
        terminate(pid, spec.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
      }, spec.attemptTimeoutMs);
      attemptTimer.unref();
    }
    hooks.onAttemptStart?.(record);
    if (attempt === 0) resolveStarted(record);
  };

  startAttempt(0);

  return {
    started,
    done,
    current: () => (running && running.pid !== undefined ? { attempt: running.attempt, pid: running.pid } : null),
    history: () => history,
    stop: async (graceMs) => {
      if (ended) return ended;
      stopping = true;
      if (retryTimer) {
        // Between attempts: nothing runs, so the task ends here.
        clearTimeout(retryTimer);
        retryTimer = null;
        finish('stopped');
      } else if (running?.pid !== undefined) {
        terminate(running.pid, graceMs);
      }
      return done;
    },
    detach: () => {
      if (ended || detached) return;
      detached = true;
      clearTimers();
      child?.unref();
      finish('stopped');
    },
  };
}
