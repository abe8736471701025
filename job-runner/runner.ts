/**
 * One execution of a run: take the lease, replay the log, run what is left of
 * the DAG, and record every attempt.
 *
 * What happens next is decided by `nextStep` (shared/domain/next-step.ts), a
 * pure function; one attempt's life is `runAttempt` (attempt.ts). This module
 * keeps the loop, the timers, the lease and the I/O, in one `Execution` whose
 * fields are its whole state.
 *
 * The execution keeps two states: `durable`, the fold of what the log holds,
 * and the view (durable + events still in the group-commit buffer), on which
 * it decides. Dependents start as soon as their parents succeeded in the view
 * — flushing never holds back the DAG — because a crash before the flush only
 * loses attempts, which replay redoes; it can never make the log wrong.
 * Artifacts are written (durably) before the event that names them.
 */
import { decide, DomainError, type Command } from '../shared/domain/decide.ts';
import type { NewEvent, StoredEvent } from '../shared/domain/events.ts';
import { nextStep, retryNotBefore, type NextStep, type SchedulePolicy } from '../shared/domain/next-step.ts';
import { buildParamsSchema, type BuildParams } from '../shared/domain/params.ts';
import { DEFAULT_RETRY_DELAYS } from '../shared/domain/pipeline.ts';
import { isSuperseded } from '../shared/domain/run-checks.ts';
import { isTerminal, project, projectPending, type RunState } from '../shared/domain/run-state.ts';
import type { EventPublisher } from '../shared/events-bus/event-publisher.ts';
import { getOutboxPublisher, type Outbox } from '../shared/run-log/outbox.ts';
import type { ModelClient } from '../shared/llm/model-client.ts';
import { ensureError, type Logger } from '../shared/logger.ts';
import { decideAndAppend } from '../shared/run-log/decide-and-append.ts';
import { getGroupCommitter, type GroupCommitter } from '../shared/run-log/group-commit.ts';
import { ArtifactConflictError, type Lease, type RunStore } from '../shared/store/run-store.ts';
import { NodeValues, recordFailure, runAttempt, type AttemptEnd, type AttemptHost, type RecordOptions } from './attempt.ts';
import { NodeError, type PipelineNode } from './nodes/node.ts';

export interface RunnerOptions {
  concurrency: number;
  /** Full-jitter backoff before a node's retry: base and cap of the step (RetryPolicy.baseDelayMs/maxDelayMs). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often the log is re-read for an operator's cancel or delete. */
  pollMs: number;
  /** The lease's lifetime (LEASE_TTL_S); renewed every third of it, each renewal recorded as a heartbeat. */
  leaseTtlMs: number;
  /** Least time between two run.json writes (GCS: about a second). */
  projectionIntervalMs: number;
}

export type Failpoint = 'execution-started' | 'attempt-started' | 'artifacts-written' | 'committed';

export interface RunnerDeps {
  store: RunStore;
  model: ModelClient;
  nodes: Readonly<Record<string, PipelineNode>>;
  publisher: EventPublisher;
  logger: Logger;
  newId: () => string;
  now?: () => number;
  random?: () => number;
  /**
   * Named crash points for fault-injection tests (see main.ts): called at the
   * instants where a crash is most interesting. A no-op in production.
   */
  failpoint?: (name: Failpoint) => void;
}

export interface ExecutionInput {
  runId: string;
  executionId: string;
  cloudRunExecution?: string;
  taskAttempt?: number;
}

/**
 * `lease_lost`: the lease was taken over, or expired with no renewal getting
 * through; `fenced`: the log refused an append because this execution was
 * closed or superseded there (the reconciler declared it lost); `superseded`:
 * the execution was already closed as lost or overtaken when it began, so it
 * wrote nothing.
 */
export type ExecutionOutcome =
  | 'succeeded' | 'failed' | 'cancelled' | 'busy' | 'missing' | 'already_finished' | 'interrupted' | 'lease_lost' | 'fenced' | 'superseded';

export interface ExecutionResult {
  outcome: ExecutionOutcome;
  /** 0 when the run reached a terminal state or there was nothing to do; non-zero for the platform to retry. */
  exitCode: number;
  attempts: number;
}

export function defaultRunnerOptions(store: RunStore): RunnerOptions {
  const slow = store.commitIntervalMs >= 500;
  return {
    concurrency: 4,
    retryBaseMs: DEFAULT_RETRY_DELAYS.baseDelayMs,
    retryMaxMs: DEFAULT_RETRY_DELAYS.maxDelayMs,
    pollMs: slow ? 1000 : 200,
    leaseTtlMs: 30_000,
    projectionIntervalMs: slow ? 1000 : 200,
  };
}

/** The scheduler's policy from the runner's options: the one place the two meet. */
export function schedulePolicy(options: RunnerOptions): SchedulePolicy {
  return { concurrency: options.concurrency, retry: { baseDelayMs: options.retryBaseMs, maxDelayMs: options.retryMaxMs } };
}

export async function runExecution(deps: RunnerDeps, input: ExecutionInput, options: RunnerOptions, stop: AbortSignal): Promise<ExecutionResult> {
  const { store } = deps;
  const { runId, executionId } = input;
  const log = deps.logger.child({ runId, executionId });
  const durable = project((await store.readLog(runId)).events);
  if (durable.lastSeq === 0 || durable.runId !== runId) {
    log.error('run not found; nothing to do');
    return { outcome: 'missing', exitCode: 0, attempts: 0 };
  }
  if (isTerminal(durable.status)) {
    // A crash after the last commit may have left run.json behind and events unpublished.
    log.info({ status: durable.status }, 'run already finished; repairing run.json and publishing what is left');
    await store.writeProjection(runId, durable);
    await openOutbox(deps, durable, log).catchUp();
    return { outcome: 'already_finished', exitCode: 0, attempts: 0 };
  }
  const taken = await store.leases.acquire(runId, executionId, options.leaseTtlMs, deps.now ?? Date.now);
  if (!taken.acquired) {
    log.info({ holder: taken.holder.executionId }, 'another execution holds the lease; exiting without writing');
    return { outcome: 'busy', exitCode: 0, attempts: 0 };
  }
  return new Execution(deps, input, options, log, durable, taken.lease).run(stop);
}

/** The run's deadline on the epoch-ms clock, and how long after the run's creation it falls. */
function deadlineOf(state: RunState): { at: number; seconds: number } | undefined {
  if (state.deadlineAt === null) return undefined;
  const at = Date.parse(state.deadlineAt);
  const created = Date.parse(state.createdAt);
  if (Number.isNaN(at)) return undefined;
  return { at, seconds: Number.isNaN(created) ? 0 : Math.round((at - created) / 1000) };
}

/** The run's outbox: the one place this module creates it. */
function openOutbox(deps: RunnerDeps, run: RunState, log: Logger): Outbox {
  return getOutboxPublisher({ store: deps.store, publisher: deps.publisher, runId: run.runId, tenant: run.tenant, logger: log });
}

interface Inflight {
  node: string;
  attempt: number;
  startedAt: number;
  abort: AbortController;
  done: Promise<void>;
}

/** How the loop ended: `drain` says whether what is buffered may still be written. */
interface LoopEnd {
  outcome: ExecutionOutcome;
  exitCode: number;
  drain: boolean;
}

/** Why the execution must stop writing at once: a persist failed or the log shrank, the lease is gone, or the log fenced it off. */
type Broken = 'interrupted' | 'lease_lost' | 'fenced';

/** Coalesces run.json writes to at most one per interval; writes what is durable at the time. */
class ProjectionWriter {
  private timer: NodeJS.Timeout | null = null;
  private lastAt = 0;
  private readonly store: RunStore;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly current: () => RunState;

  constructor(store: RunStore, intervalMs: number, now: () => number, log: Logger, current: () => RunState) {
    this.store = store;
    this.intervalMs = intervalMs;
    this.now = now;
    this.log = log;
    this.current = current;
  }

  schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastAt + this.intervalMs - this.now());
    this.timer = setTimeout(() => void this.write(), wait);
  }

  async write(): Promise<void> {
    this.cancel();
    this.lastAt = this.now();
    const state = this.current();
    try {
      await this.store.writeProjection(state.runId, state);
    } catch (err) {
      this.log.warn({ err: ensureError(err).message }, 'run.json write failed; readers fold the log');
    }
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

class Execution {
  private readonly deps: RunnerDeps;
  private readonly input: ExecutionInput;
  private readonly options: RunnerOptions;
  private readonly log: Logger;
  private readonly lease: Lease;
  private readonly store: RunStore;
  private readonly runId: string;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly failpoint: (name: Failpoint) => void;
  private readonly policy: SchedulePolicy;
  private readonly outbox: Outbox;
  private readonly committer: GroupCommitter;
  private readonly projection: ProjectionWriter;
  /** The fold of what the log holds. */
  private durable: RunState;
  /** Decided here and not yet durable, in order; the view is `durable` + these. */
  private pending: NewEvent[] = [];
  private readonly inflight = new Map<string, Inflight>();
  /** Nodes in retry backoff: when they may start again (this execution's memory; replay forgets it). */
  private readonly notBefore = new Map<string, number>();
  /** Set once the run's params parsed; attempts need it. */
  private host: AttemptHost | null = null;
  /** Why no attempt can start (the params no longer parse); nextStep then fails the run with it. */
  private blocked: string | null = null;
  private attemptsStarted = 0;
  private broken: Broken | null = null;
  private wake: (() => void) | null = null;
  /** The run's deadline on this clock, if it has one. */
  private readonly deadline: { at: number; seconds: number } | undefined;
  private renewing = false;

  constructor(deps: RunnerDeps, input: ExecutionInput, options: RunnerOptions, log: Logger, durable: RunState, lease: Lease) {
    this.deps = deps;
    this.input = input;
    this.options = options;
    this.log = log;
    this.lease = lease;
    this.store = deps.store;
    this.runId = input.runId;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.failpoint = deps.failpoint ?? (() => undefined);
    this.policy = schedulePolicy(options);
    this.durable = durable;
    this.deadline = deadlineOf(durable);
    this.outbox = openOutbox(deps, durable, log);
    this.projection = new ProjectionWriter(this.store, options.projectionIntervalMs, this.now, log, () => this.durable);
    this.committer = getGroupCommitter(this.store, this.runId, {
      onCommit: (committed, lastSeq) => this.onCommit(committed, lastSeq),
      onError: (err) => log.warn({ err: ensureError(err).message }, 'log append failed; retrying'),
      // Every write after StartExecution is fenced: once the log says this execution is over, it writes nothing.
      fence: { executionId: input.executionId },
      onFenced: (err) => {
        log.error({ err: err.message }, 'the log refused this execution’s append; stopping without further writes');
        this.breakOff('fenced');
      },
    });
  }

  async run(stop: AbortSignal): Promise<ExecutionResult> {
    // What a crash left unpublished goes out first, so subscribers see no gap.
    await this.outbox.catchUp();
    const stopTimers = this.startTimers(stop);
    try {
      if (!(await this.begin())) return { outcome: 'superseded', exitCode: 0, attempts: 0 };
      const end = await this.loop(stop);
      if (end.drain) {
        await this.committer.flush();
        await this.projection.write();
        await this.outbox.flush();
      }
      return { outcome: end.outcome, exitCode: end.exitCode, attempts: this.attemptsStarted };
    } finally {
      stopTimers();
      this.projection.cancel();
      if (this.broken === null) await this.committer.flush().catch(() => undefined);
      await this.lease.release().catch(() => undefined);
    }
  }

  /**
   * Starts (or takes over) the execution; whatever a dead one left running is
   * abandoned. False, writing nothing, when the log already closed this
   * execution as lost or a later one has started: a paused job (or a task
   * retry of a lost one) must not take the run back from its successor.
   */
  private async begin(): Promise<boolean> {
    const { executionId, cloudRunExecution, taskAttempt } = this.input;
    const command: Command = {
      type: 'StartExecution',
      executionId,
      ...(cloudRunExecution ? { cloudRunExecution } : {}),
      ...(taskAttempt !== undefined ? { taskAttempt } : {}),
    };
    let superseded = false;
    const started = await decideAndAppend(
      this.store,
      this.runId,
      (state) => {
        superseded = isSuperseded(state, executionId);
        return isTerminal(state.status) || superseded ? [] : [command];
      },
      () => this.context(),
    );
    if (superseded) {
      this.log.warn('this execution was closed as lost or overtaken by a later one; exiting without writing');
      return false;
    }
    this.durable = project((await this.store.readLog(this.runId, this.durable.lastSeq)).events, this.durable);
    this.failpoint('execution-started');
    if (started.events.length > 0) void this.outbox.publishCommitted(started.events, this.durable.status);
    this.projection.schedule();
    this.readParams();
    return true;
  }

  /**
   * The run's params, checked against today's schema: a run replayed after
   * the schema changed under it fails with the reason (unless it is cancelled
   * or done anyway) instead of feeding nodes params they cannot read.
   */
  private readParams(): void {
    const parsed = buildParamsSchema.safeParse(this.durable.params);
    if (parsed.success) {
      this.host = this.attemptHost(parsed.data);
      return;
    }
    const problems = parsed.error.issues.map((i) => `${['params', ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
    this.log.error({ problems }, 'the run’s params no longer parse; no attempt can start');
    this.blocked = `params no longer valid: ${problems}`;
  }

  private attemptHost(params: BuildParams): AttemptHost {
    const { store, runId, now, log } = this;
    return {
      runId,
      store,
      model: this.deps.model,
      nodes: this.deps.nodes,
      params,
      values: new NodeValues(store, runId),
      log,
      now,
      failpoint: (name) => this.failpoint(name),
      view: () => this.view(),
      record: (command, options) => this.record(command, options),
      holdsRun: () => this.lease.holds(),
    };
  }

  private async loop(stop: AbortSignal): Promise<LoopEnd> {
    for (;;) {
      if (this.now() >= this.lease.record.expiresAt) this.leaseExpired();
      if (this.broken) return this.abandon(this.broken);
      if (stop.aborted) {
        await this.stopInflight('sigterm');
        this.record({ type: 'FinishExecution', executionId: this.input.executionId, outcome: 'interrupted' });
        return { outcome: 'interrupted', exitCode: 143, drain: true };
      }
      const step = nextStep(this.view(), this.now(), this.policy, {
        inflight: this.inflight,
        notBefore: this.notBefore,
        ...(this.blocked !== null ? { blocked: this.blocked } : {}),
        ...(this.deadline ? { deadline: this.deadline } : {}),
      });
      if (step.type === 'finished') return { outcome: step.outcome, exitCode: 0, drain: true };
      await this.act(step);
    }
  }

  private async act(step: Exclude<NextStep, { type: 'finished' }>): Promise<void> {
    switch (step.type) {
      case 'cancel':
        await this.stopInflight('cancel');
        return this.finishRun({ type: 'ConfirmCancel' }, 'cancelled');
      case 'complete':
        return this.finishRun({ type: 'CompleteRun' }, 'succeeded');
      case 'fail':
        return this.finishRun({ type: 'FailRun', node: step.node, reason: step.reason }, 'failed');
      case 'timeout':
        for (const t of step.attempts) {
          this.log.warn({ node: t.node, attempt: t.attempt, limitMs: t.limitMs }, 'attempt ran past its limit; stopping it');
          this.stopAttempt(t.node, new NodeError('timeout', `the attempt ran past its limit of ${t.limitMs} ms`, { retryable: true }));
        }
        return;
      case 'deadline':
        this.log.warn({ deadlineAt: this.durable.deadlineAt, stopped: step.stop }, 'run passed its deadline; failing it');
        // Stopped attempts are recorded failed (code `deadline`, terminal), so each node says why it stopped.
        for (const node of step.stop) this.stopAttempt(node, new NodeError('deadline', 'the run passed its deadline while the attempt ran', { retryable: false }));
        return this.finishRun({ type: 'FailRun', node: null, code: 'deadline', reason: step.reason }, 'failed');
      case 'wait':
        for (const id of step.start) this.startAttempt(id);
        return this.sleep(step.until);
      default: {
        const exhaustive: never = step;
        return exhaustive;
      }
    }
  }

  private finishRun(command: Command, outcome: 'succeeded' | 'failed' | 'cancelled'): void {
    this.record(command);
    this.record({ type: 'FinishExecution', executionId: this.input.executionId, outcome });
  }

  /** Stops without writing more: what is buffered is not flushed (the next execution redoes it). */
  private abandon(broken: Broken): LoopEnd {
    for (const f of this.inflight.values()) f.abort.abort();
    if (broken === 'lease_lost') this.log.error('lease lost (taken over, or expired unrenewed); stopping without further writes');
    if (broken !== 'interrupted') this.pending = [];
    return { outcome: broken, exitCode: 1, drain: false };
  }

  private breakOff(broken: Broken): void {
    // A failed persist outranks a lost lease: it is the cause to report.
    if (this.broken !== 'interrupted') this.broken = broken;
    // Someone else may own the run now: nothing queued is written, not even run.json.
    if (broken !== 'interrupted') {
      this.committer.halt(new Error(`execution ${this.input.executionId} stopped writing: ${broken}`));
      this.projection.cancel();
    }
    this.nudge();
  }

  /** No renewal got through before the lease's expiry: another execution may take the run at any moment. */
  private leaseExpired(): void {
    if (this.broken) return;
    this.log.error({ expiredAt: new Date(this.lease.record.expiresAt).toISOString() }, 'the lease expired before a renewal got through');
    this.breakOff('lease_lost');
  }

  private view(): RunState {
    return this.pending.length === 0 ? this.durable : projectPending(this.pending, this.durable);
  }

  private context() {
    return { now: new Date(this.now()).toISOString(), newId: this.deps.newId };
  }

  /**
   * Decides against the view and queues the events; DomainErrors mean "not
   * any more" (null). With `after`, the events take their place in the log's
   * order now (nothing decided later overtakes them) but are written only once
   * `after` has persisted what they name.
   */
  private record(command: Command, options: RecordOptions = {}): NewEvent[] | null {
    let events: NewEvent[];
    try {
      events = decide(command, this.view(), this.context());
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      this.log.warn({ command: command.type, err: err.message }, 'command no longer applies');
      return null;
    }
    if (events.length === 0) return events;
    this.pending.push(...events);
    if (!options.after) {
      // A fenced write rejects; the execution hears of it through onFenced.
      this.committer.enqueue(events).catch(() => undefined);
      return events;
    }
    const slot = this.committer.reserve();
    options.after().then(
      () => void slot.fill(events).catch(() => undefined),
      (err: unknown) => {
        // The place stays unfilled, so nothing after it is ever written: stop and let replay redo it.
        this.log.error({ err: ensureError(err).message }, 'persisting artifacts failed; stopping the execution');
        // Another execution's artifact in the way means this one was taken over.
        this.breakOff(err instanceof ArtifactConflictError ? 'fenced' : 'interrupted');
      },
    );
    return events;
  }

  private async onCommit(committed: StoredEvent[], lastSeq: number): Promise<void> {
    this.failpoint('committed');
    const ids = new Set(committed.map((e) => e.id));
    this.pending = this.pending.filter((e) => !ids.has(e.id));
    const from = this.durable.lastSeq;
    if (lastSeq - committed.length === from && committed.every((e, i) => e.seq === from + i + 1)) {
      this.durable = project(committed, this.durable);
    } else {
      // Someone else appended too (an operator's cancel): read what we have not seen.
      this.durable = project((await this.store.readLog(this.runId, this.durable.lastSeq)).events, this.durable);
    }
    this.projection.schedule();
    void this.outbox.publishCommitted(committed, this.durable.status);
    this.nudge();
  }

  /** Re-reads the log for what others appended (an operator's cancel or delete). */
  private async poll(): Promise<void> {
    const fresh = await this.store.readLog(this.runId, this.durable.lastSeq);
    if (fresh.lastSeq < this.durable.lastSeq) {
      // The log went backwards (deleted under us): nothing this execution writes can be right.
      this.log.error(`the log of run ${this.runId} shrank from seq ${this.durable.lastSeq} to ${fresh.lastSeq}`);
      return this.breakOff('interrupted');
    }
    if (fresh.events.length === 0) return;
    this.durable = project(fresh.events, this.durable);
    this.pending = this.pending.filter((e) => !fresh.events.some((f) => f.id === e.id));
    this.nudge();
  }

  private startAttempt(id: string): void {
    const started = this.record({ type: 'StartAttempt', node: id, executionId: this.input.executionId })?.[0];
    if (started?.type !== 'node.attempt.started') return;
    if (!this.host) throw new Error('an attempt started before the run’s params were read');
    this.attemptsStarted++;
    const abort = new AbortController();
    const attempt = started.data.attempt;
    const entry: Inflight = { node: id, attempt, abort, done: Promise.resolve(), startedAt: this.now() };
    entry.done = runAttempt(this.host, id, attempt, abort.signal)
      .then((end) => this.settle(id, end))
      .finally(() => {
        // A stopped attempt may settle after the node's next attempt started: leave that one be.
        if (this.inflight.get(id) === entry) this.inflight.delete(id);
        this.nudge();
      });
    this.inflight.set(id, entry);
  }

  /**
   * Stops one attempt for the execution's own reason (its time limit, the
   * run's deadline) and records it failed at once: it leaves the attempts in
   * flight now, so a node that ignores its signal cannot hold the execution
   * up, and whatever it returns later is dropped (its signal is aborted).
   * Other attempts, and other runs of a worker, are untouched.
   */
  private stopAttempt(node: string, error: NodeError): void {
    const f = this.inflight.get(node);
    if (!f || !this.host) return;
    this.inflight.delete(node);
    f.abort.abort(error);
    this.settle(node, recordFailure(this.host, node, f.attempt, f.startedAt, error));
  }

  /** A failure with budget left waits out its backoff before the node may start again. */
  private settle(id: string, end: AttemptEnd): void {
    if (end.type !== 'failed' || !end.retry) return;
    this.notBefore.set(id, retryNotBefore(this.now(), end.retry, this.policy.retry, this.random));
  }

  /** Aborts every attempt in flight, waits for them, and records why they stopped. */
  private async stopInflight(reason: 'cancel' | 'sigterm'): Promise<void> {
    for (const f of this.inflight.values()) f.abort.abort();
    const running = [...this.inflight.entries()];
    await Promise.allSettled(running.map(([, f]) => f.done));
    for (const [node, f] of running) {
      if (reason === 'cancel') this.record({ type: 'CancelAttempt', node, attempt: f.attempt, durationMs: Math.round(this.now() - f.startedAt) });
      // Recorded now rather than by the next execution, so the log says why.
      else this.record({ type: 'AbandonAttempt', node, attempt: f.attempt, reason: 'execution received SIGTERM' });
    }
  }

  /** Waits for a nudge (an attempt ended, a commit, a poll, SIGTERM), `until`, or at most a poll interval. */
  private sleep(until: number | null): Promise<void> {
    const ms = until === null ? this.options.pollMs : Math.min(this.options.pollMs, Math.max(0, until - this.now()) + 1);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.nudge(), ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  private nudge(): void {
    this.wake?.();
  }

  /** Lease renewal, log polling and the stop signal; returns what undoes them. */
  private startTimers(stop: AbortSignal): () => void {
    const renewTimer = setInterval(() => this.renewLease(), Math.max(50, Math.floor(this.options.leaseTtlMs / 3)));
    const pollTimer = setInterval(() => {
      this.poll().catch((err: unknown) => this.log.warn({ err: ensureError(err).message }, 'poll failed'));
    }, this.options.pollMs);
    const onStop = () => this.nudge();
    stop.addEventListener('abort', onStop);
    return () => {
      clearInterval(renewTimer);
      clearInterval(pollTimer);
      stop.removeEventListener('abort', onStop);
    };
  }

  /**
   * Renews the lease (one renewal at a time: a stuck store does not pile them
   * up) and records each renewal as a heartbeat. Renewals that keep failing
   * stop the execution once the lease has expired.
   */
  private renewLease(): void {
    if (this.now() >= this.lease.record.expiresAt) return this.leaseExpired();
    if (this.renewing || this.broken) return;
    this.renewing = true;
    this.lease
      .renew()
      .then(
        (ok) => {
          if (!ok) return this.breakOff('lease_lost');
          const leaseExpiresAt = new Date(this.lease.record.expiresAt).toISOString();
          this.record({ type: 'RecordHeartbeat', executionId: this.input.executionId, leaseExpiresAt });
        },
        (err: unknown) => this.log.warn({ err: ensureError(err).message }, 'lease renewal failed; will retry'),
      )
      .finally(() => (this.renewing = false));
  }
}
