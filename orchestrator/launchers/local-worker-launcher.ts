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
import { executionRegistry, type EndedObservation } from './execution-registry.ts';
import { LaunchError, silentLogger, type LaunchRequest, type LaunchResult } from './job-launcher.ts';
import {
  attemptsPhrase, localLaunchDefaults, shortSuffix,
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

type Outcome = LocalExecutionEnd['outcome'];

interface Execution {
  req: LaunchRequest;
  name: string;
  short: string;
  /** `worker:<workerPid>:<executionId>`, the worker its first attempt went to. */
  handle: string;
  /** The attempt running now (0-based), or null between attempts and after the end. */
  attempt: number | null;
  worker: Worker | null;
  started: number;
  stopping: boolean;
  /** How the last attempt ended, a phrase about "the job attempt", for the reason observe() gives. */
  lastEnd: string | null;
  end: Promise<LocalExecutionEnd>;
  /** `detached`: let go of on close, possibly still running in the worker. */
  finish: (outcome: Outcome, code: number | null, signal: NodeJS.Signals | null, detached?: boolean) => void;
}

interface WorkerEvents {
  /** The worker reported an attempt ended. */
  attemptExited(w: Worker, attemptId: string, exitCode: number, runnerOutcome: string): void;
  /** The worker process is gone. */
  exited(w: Worker, code: number | null, signal: NodeJS.Signals | null): void;
}

/** Spawns a job worker with an IPC channel; throws a retryable LaunchError when it cannot be spawned. */
function spawnWorker(options: LocalWorkerLauncherOptions, execPath: string, env: Record<string, string>, events: WorkerEvents): Worker {
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
    events.attemptExited(w, m.attemptId, m.exitCode, m.outcome);
  });
  child.on('error', () => undefined);
  child.once('exit', (code, signal) => {
    w.alive = false;
    markGone(new Error('job worker exited'));
    events.exited(w, code, signal);
  });
  return w;
}

/** What became of a worker-mode execution, in words a judge can read. */
function describeWorkerEnd(e: Execution, outcome: Outcome, maxRetries: number): EndedObservation {
  const how = e.lastEnd ?? 'never started';
  const endedAt = new Date().toISOString();
  switch (outcome) {
    case 'succeeded':
      return { state: 'ended', outcome: 'succeeded', reason: `the job attempt ${how} after ${attemptsPhrase(e.started)}`, endedAt };
    case 'failed':
      return { state: 'ended', outcome: 'failed', reason: `the job attempt ${how} after ${attemptsPhrase(e.started, maxRetries)}`, endedAt };
    case 'stopped':
      return { state: 'ended', outcome: 'cancelled', reason: `the orchestrator stopped the execution; its job attempt ${how} after ${attemptsPhrase(e.started)}`, endedAt };
  }
}

/** How a job worker's death reads as the end of an attempt it held. */
function workerDeath(pid: number, code: number | null, signal: NodeJS.Signals | null): string {
  return `was lost when the job worker (pid ${pid}) ${signal !== null ? `was killed by ${signal}` : `exited with code ${code}`}`;
}

/** The worker mode's state and supervision: which worker is current, and each execution's attempts on it. */
class WorkerSupervisor {
  readonly executions = executionRegistry<Execution>();
  closed = false;
  #worker: Worker | null = null;
  readonly #options: LocalWorkerLauncherOptions;
  readonly #defaults: ReturnType<typeof localLaunchDefaults>;
  readonly #env: Record<string, string>;
  readonly #events: WorkerEvents = {
    attemptExited: (w, attemptId, exitCode, runnerOutcome) => {
      const e = this.inFlight().find((x) => x.worker === w && attemptIdOf(x) === attemptId);
      if (e) this.#attemptEnded(e, exitCode, null, `exited with code ${exitCode} in the job worker (pid ${w.pid}, runner outcome "${runnerOutcome}")`);
    },
    exited: (w, code, signal) => {
      if (this.#worker === w) this.#worker = null;
      const lost = this.inFlight().filter((e) => e.worker === w);
      if (lost.length > 0 || !this.closed) this.#defaults.logger.warn({ pid: w.pid, code, signal, executions: lost.length }, 'job worker exited');
      // An attempt the worker never reported ended with it: failed, whatever the exit code says.
      for (const e of lost) this.#attemptEnded(e, code === 0 ? 1 : code, signal, workerDeath(w.pid, code, signal));
    },
  };

  constructor(options: LocalWorkerLauncherOptions) {
    this.#options = options;
    this.#defaults = localLaunchDefaults(options);
    this.#env = { ...options.env, CLOUD_RUN_JOB: this.#defaults.jobName };
  }

  inFlight(): Execution[] {
    return this.executions.all().filter((e) => e.attempt !== null);
  }

  /** The live worker, started if there is none; throws a LaunchError when none can be spawned. */
  currentWorker(): Worker {
    if (!this.#worker?.alive) {
      this.#worker = spawnWorker(this.#options, this.#defaults.execPath, this.#env, this.#events);
      this.#defaults.logger.info({ pid: this.#worker.pid }, 'job worker started');
    }
    return this.#worker;
  }

  /** A new execution, registered, whose `finish` settles `end` once and records what became of it. */
  newExecution(req: LaunchRequest, w: Worker): Execution {
    const short = `local-${shortSuffix()}`;
    const name = `local/executions/${short}`;
    let resolveEnd!: (info: LocalExecutionEnd) => void;
    const e: Execution = {
      req, name, short, handle: `worker:${w.pid}:${req.executionId}`, attempt: null, worker: null, started: 0, stopping: false,
      lastEnd: null, end: new Promise<LocalExecutionEnd>((resolve) => { resolveEnd = resolve; }), finish: () => undefined,
    };
    e.finish = (outcome, code, signal, detached = false) => {
      e.finish = () => undefined;
      resolveEnd(this.#recordEnd(e, { runId: req.runId, executionId: req.executionId, name, outcome, code, signal, attempts: e.started }, detached));
    };
    this.executions.add(name, e);
    return e;
  }

  dispatch(e: Execution, attempt: number): void {
    if (this.closed) return e.finish('stopped', null, null);
    e.started = attempt + 1;
    let w: Worker;
    try {
      w = this.currentWorker();
    } catch {
      // No worker could be started: this attempt failed; the retry budget decides what follows.
      e.attempt = attempt;
      return this.#attemptEnded(e, null, null, 'could not be handed to a job worker (none would start)');
    }
    e.attempt = attempt;
    e.worker = w;
    const message: ToWorker = {
      type: 'start', attemptId: attemptIdOf(e), runId: e.req.runId, executionId: e.req.executionId,
      cloudRunExecution: e.short, taskAttempt: attempt,
    };
    this.#defaults.logger.info({ runId: e.req.runId, executionId: e.req.executionId, execution: e.name, attempt, pid: w.pid }, 'job attempt started');
    // Before `ready`, the start waits; if the worker dies first, its exit handler fails this attempt.
    w.ready.then(() => { if (w.alive && e.worker === w && attemptIdOf(e) === message.attemptId) w.child.send(message); }, () => undefined);
  }

  /** close(): detach lets the worker finish what it holds; terminate SIGTERMs it, SIGKILL after the grace. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const w = this.#worker;
    const open = this.inFlight();
    if (!w?.alive) {
      for (const e of open) e.finish('stopped', null, null);
      return;
    }
    if ((this.#options.onClose ?? 'terminate') === 'detach') {
      // The worker finishes what it runs and exits when it sees the channel close.
      for (const e of open) e.finish('stopped', null, null, true);
      w.child.disconnect();
      w.child.unref();
      return;
    }
    for (const e of open) e.stopping = true;
    const gone = new Promise<void>((resolve) => { if (!w.alive) resolve(); else w.child.once('exit', () => resolve()); });
    signalGroup(w.pid, 'SIGTERM');
    const kill = setTimeout(() => signalGroup(w.pid, 'SIGKILL'), this.#defaults.killGraceMs);
    await gone;
    clearTimeout(kill);
    await Promise.all(open.map((e) => e.end));
  }

  #attemptEnded(e: Execution, code: number | null, signal: NodeJS.Signals | null, how: string): void {
    const attempt = e.attempt;
    if (attempt === null) return;
    e.attempt = null;
    e.worker = null;
    e.lastEnd = how;
    const fields = { runId: e.req.runId, executionId: e.req.executionId, execution: e.name, attempt, code, signal };
    if (code === 0) return e.finish('succeeded', code, signal);
    const willRetry = !e.stopping && !this.closed && attempt < this.#defaults.maxRetries;
    this.#defaults.logger.warn({ ...fields, willRetry, how }, willRetry ? 'job attempt failed; starting it again' : 'job attempt failed');
    if (e.stopping || this.closed) return e.finish('stopped', code, signal);
    if (!willRetry) return e.finish('failed', code, signal);
    setImmediate(() => this.dispatch(e, attempt + 1));
  }

  /** Once an execution is over: log it, tell onExit, and keep what became of it for observe(). */
  #recordEnd(e: Execution, info: LocalExecutionEnd, detached: boolean): LocalExecutionEnd {
    const { logger, maxRetries } = this.#defaults;
    const observed = detached ? 'detached' : describeWorkerEnd(e, info.outcome, maxRetries);
    logger.info({ runId: info.runId, executionId: info.executionId, execution: info.name, outcome: info.outcome, code: info.code, signal: info.signal,
      attempts: info.attempts, ...(observed === 'detached' ? {} : { reason: observed.reason }) }, 'job execution ended');
    try {
      this.#options.onExit?.(info);
    } catch (err) {
      logger.error({ execution: info.name, err: String(err) }, 'onExit hook threw');
    }
    this.executions.ended(info.name, observed);
    return info;
  }
}

/** The handle of the attempt running now, as the worker echoes it back. */
const attemptIdOf = (e: Execution): string => `${e.short}-${e.attempt}`;

export function getLocalWorkerLauncher(options: LocalWorkerLauncherOptions): LocalLauncher {
  const supervisor = new WorkerSupervisor(options);

  const launch = async (req: LaunchRequest): Promise<LaunchResult> => {
    if (supervisor.closed) throw new LaunchError('local launcher is closed', { retryable: false, code: 'closed' });
    try {
      await access(options.entrypoint);
    } catch {
      throw new LaunchError(`job worker entrypoint not found: ${options.entrypoint}`, { retryable: false, code: 'ENOENT' });
    }
    const e = supervisor.newExecution(req, supervisor.currentWorker());
    supervisor.dispatch(e, 0);
    return { backend: 'local', name: e.name, platformExecution: e.handle };
  };

  if (options.warm ?? true) {
    try {
      supervisor.currentWorker();
    } catch (err) {
      (options.logger ?? silentLogger).warn({ err: String(err) }, 'job worker could not be started ahead of the first run');
    }
  }

  return {
    backend: 'local',
    launch,
    observe: (executionId, platformExecution) => supervisor.executions.observe(executionId, platformExecution),
    running: (): LocalRunningTask[] => supervisor.inFlight()
      .filter((e) => e.worker?.alive)
      .map((e) => ({ runId: e.req.runId, executionId: e.req.executionId, name: e.name, pid: e.worker?.pid ?? 0, attempt: e.attempt ?? 0 })),
    waitFor: (idOrName) => {
      const e = supervisor.executions.find(idOrName);
      return e ? e.end : Promise.reject(new RangeError(`unknown local execution: ${idOrName}`));
    },
    close: () => supervisor.close(),
  };
}
