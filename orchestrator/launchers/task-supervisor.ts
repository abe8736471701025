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
  /** `stopped` by detach(): the last attempt may still be running, unsupervised. */
  detached: boolean;
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

/**
 * How an attempt ended, as a phrase about "the job process": "exited with
 * code 1", "was killed by SIGKILL", "timed out and was stopped by SIGTERM",
 * "could not be started (ENOENT)".
 */
export function describeAttempt(record: AttemptRecord): string {
  if (record.spawnError !== null) return `could not be started (${record.spawnError})`;
  const how = record.signal !== null ? `by ${record.signal}` : `with exit code ${record.code}`;
  if (record.timedOut) return `outlived its task timeout and was stopped (${how})`;
  return record.signal !== null ? `was killed by ${record.signal}` : `exited with code ${record.code}`;
}

/** One task's supervision: its attempts, the timers between them, and how it ends. */
class Supervision {
  readonly history: AttemptRecord[] = [];
  readonly done: Promise<TaskEnd>;
  readonly started: Promise<AttemptRecord>;
  readonly #spec: TaskSpec;
  readonly #hooks: TaskHooks;
  #child: ChildProcess | null = null;
  #running: AttemptRecord | null = null;
  #stopping = false;
  #detached = false;
  #ended: TaskEnd | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #killTimer: NodeJS.Timeout | null = null;
  #attemptTimer: NodeJS.Timeout | null = null;
  #resolveDone!: (end: TaskEnd) => void;
  #resolveStarted!: (record: AttemptRecord) => void;
  #rejectStarted!: (err: Error) => void;

  constructor(spec: TaskSpec, hooks: TaskHooks) {
    this.#spec = spec;
    this.#hooks = hooks;
    this.done = new Promise<TaskEnd>((resolve) => { this.#resolveDone = resolve; });
    this.started = new Promise<AttemptRecord>((resolve, reject) => { this.#resolveStarted = resolve; this.#rejectStarted = reject; });
    // A caller that only awaits `done` must not see an unhandled rejection.
    this.started.catch(() => undefined);
  }

  current(): { attempt: number; pid: number } | null {
    const r = this.#running;
    return r && r.pid !== undefined ? { attempt: r.attempt, pid: r.pid } : null;
  }

  startAttempt(attempt: number): void {
    const record: AttemptRecord = {
      attempt, pid: undefined, startedAt: new Date(), endedAt: null,
      code: null, signal: null, spawnError: null, timedOut: false,
    };
    this.history.push(record);
    const proc = spawn(this.#spec.command, [...this.#spec.args], {
      env: this.#spec.envFor(attempt),
      detached: true,
      stdio: this.#spec.stdio === 'stderr' ? ['ignore', 2, 2] : 'ignore',
      windowsHide: true,
    });
    if (proc.pid === undefined) return this.#onSpawnFailure(record, proc);
    this.#watch(record, proc, proc.pid);
    this.#hooks.onAttemptStart?.(record);
    if (attempt === 0) this.#resolveStarted(record);
  }

  async stop(graceMs: number): Promise<TaskEnd> {
    if (this.#ended) return this.#ended;
    this.#stopping = true;
    if (this.#retryTimer) {
      // Between attempts: nothing runs, so the task ends here.
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
      this.#finish('stopped');
    } else if (this.#running?.pid !== undefined) {
      this.#terminate(this.#running.pid, graceMs);
    }
    return this.done;
  }

  detach(): void {
    if (this.#ended || this.#detached) return;
    this.#detached = true;
    this.#clearTimers();
    this.#child?.unref();
    this.#finish('stopped');
  }

  /** Spawn failed (ENOENT, EAGAIN, …); the reason arrives as an 'error' event. */
  #onSpawnFailure(record: AttemptRecord, proc: ChildProcess): void {
    proc.once('error', (err: NodeJS.ErrnoException) => {
      record.spawnError = err.code ?? err.message;
      if (record.attempt > 0) return this.#attemptEnded(record);
      // The first spawn failing is the launcher's error to report, not a task retry.
      record.endedAt = new Date();
      this.#rejectStarted(err);
      this.#finish('failed');
    });
  }

  #watch(record: AttemptRecord, proc: ChildProcess, pid: number): void {
    record.pid = pid;
    this.#child = proc;
    this.#running = record;
    proc.once('exit', (code, signal) => {
      record.code = code;
      record.signal = signal;
      this.#attemptEnded(record);
    });
    // After a successful spawn an 'error' can only come from kill(); the 'exit' handler decides.
    proc.on('error', () => undefined);
    const timeoutMs = this.#spec.attemptTimeoutMs;
    if (timeoutMs !== undefined) {
      this.#attemptTimer = setTimeout(() => {
        record.timedOut = true;
        this.#terminate(pid, this.#spec.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
      }, timeoutMs);
      this.#attemptTimer.unref();
    }
  }

  #attemptEnded(record: AttemptRecord): void {
    this.#child = null;
    this.#running = null;
    if (this.#attemptTimer) clearTimeout(this.#attemptTimer);
    if (this.#killTimer) clearTimeout(this.#killTimer);
    this.#attemptTimer = this.#killTimer = null;
    record.endedAt = new Date();
    const succeeded = record.code === 0 && record.spawnError === null;
    const willRetry = !succeeded && !this.#stopping && !this.#detached && record.attempt < this.#spec.maxRetries;
    this.#hooks.onAttemptEnd?.(record, willRetry);
    if (succeeded) return this.#finish('succeeded');
    if (this.#stopping || this.#detached) return this.#finish('stopped');
    if (!willRetry) return this.#finish('failed');
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.startAttempt(record.attempt + 1);
    }, this.#spec.retryDelayMs ?? 0);
  }

  #finish(outcome: TaskOutcome): void {
    if (this.#ended) return;
    this.#clearTimers();
    const last = this.history.at(-1);
    this.#ended = {
      outcome, code: last?.code ?? null, signal: last?.signal ?? null, attempts: this.history.length,
      history: [...this.history], detached: this.#detached,
    };
    this.#resolveDone(this.#ended);
  }

  #terminate(pid: number, graceMs: number): void {
    signalGroup(pid, 'SIGTERM');
    if (this.#killTimer) clearTimeout(this.#killTimer);
    this.#killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    this.#killTimer.unref();
  }

  #clearTimers(): void {
    for (const t of [this.#retryTimer, this.#killTimer, this.#attemptTimer]) if (t) clearTimeout(t);
    this.#retryTimer = this.#killTimer = this.#attemptTimer = null;
  }
}

export function superviseTask(spec: TaskSpec, hooks: TaskHooks = {}): SupervisedTask {
  const task = new Supervision(spec, hooks);
  task.startAttempt(0);
  return {
    started: task.started,
    done: task.done,
    current: () => task.current(),
    history: () => task.history,
    stop: (graceMs) => task.stop(graceMs),
    detach: () => task.detach(),
  };
}
