/**
 * One execution of a run: take the lease, replay the log, run what is left of
 * the DAG, and record every attempt.
 *
 * The runner keeps two states: `durable`, the fold of what the log holds, and
 * the view (durable + events still in the group-commit buffer), on which it
 * decides. Dependents start as soon as their parents succeeded in the view —
 * flushing never holds back the DAG — because a crash before the flush only
 * loses attempts, which replay redoes; it can never make the log wrong.
 * Artifacts are written (durably) before the event that names them.
 */
import { decide, DomainError, type Command } from '../shared/domain/decide.ts';
import type { ArtifactRef, NewEvent, StoredEvent } from '../shared/domain/events.ts';
import type { BuildParams } from '../shared/domain/params.ts';
import { isTerminal, project, readyNodes, type RunState } from '../shared/domain/run-state.ts';
import type { EventPublisher } from '../shared/events-bus/event-publisher.ts';
import { getOutboxPublisher, type Outbox } from '../shared/run-log/outbox.ts';
import type { ModelClient } from '../shared/llm/model-client.ts';
import { ensureError, type Logger } from '../shared/logger.ts';
import { decideAndAppend } from '../shared/run-log/decide-and-append.ts';
import { getGroupCommitter, type GroupCommitter } from '../shared/run-log/group-commit.ts';
import { sha256Hex, type Lease, type RunStore } from '../shared/store/run-store.ts';
import { describeNodeFailure, type PipelineNode } from './nodes/node.ts';

export interface RunnerOptions {
  concurrency: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often the log is re-read for an operator's cancel or delete. */
  pollMs: number;
  leaseTtlMs: number;
  /** Least time between two run.json writes (GCS: about a second). */
  projectionIntervalMs: number;
}

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
  failpoint?: (name: 'execution-started' | 'attempt-started' | 'artifacts-written' | 'committed') => void;
}

export interface ExecutionInput {
  runId: string;
  executionId: string;
  cloudRunExecution?: string;
  taskAttempt?: number;
}

export type ExecutionOutcome = 'succeeded' | 'failed' | 'cancelled' | 'busy' | 'missing' | 'already_finished' | 'interrupted' | 'lease_lost';

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
    retryBaseMs: 1000,
    retryMaxMs: 30_000,
    pollMs: slow ? 1000 : 200,
    leaseTtlMs: 30_000,
    projectionIntervalMs: slow ? 1000 : 200,
  };
}

/** Full jitter: uniformly between 0 and the capped exponential step. */
export function backoffMs(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1)));
}

class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

export async function runExecution(
  deps: RunnerDeps,
  input: ExecutionInput,
  options: RunnerOptions,
  stop: AbortSignal,
): Promise<ExecutionResult> {
  const { store, logger } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { runId, executionId } = input;
  const log = logger.child({ runId, executionId });
  const ctx = () => ({ now: new Date(now()).toISOString(), newId: deps.newId });

  const initial = await store.readLog(runId);
  let durable = project(initial.events);
  if (durable.lastSeq === 0 || durable.runId !== runId) {
    log.error('run not found; nothing to do');
    return { outcome: 'missing', exitCode: 0, attempts: 0 };
  }
  if (isTerminal(durable.status)) {
    // A crash after the last commit may have left run.json behind and events unpublished.
    log.info({ status: durable.status }, 'run already finished; repairing run.json and publishing what is left');
    await store.writeProjection(runId, durable);
    await getOutboxPublisher({ store, publisher: deps.publisher, runId, tenant: durable.tenant, logger: log }).catchUp();
    return { outcome: 'already_finished', exitCode: 0, attempts: 0 };
  }

  const taken = await store.leases.acquire(runId, executionId, options.leaseTtlMs, now);
  if (!taken.acquired) {
    log.info({ holder: taken.holder.executionId }, 'another execution holds the lease; exiting without writing');
    return { outcome: 'busy', exitCode: 0, attempts: 0 };
  }
  const lease: Lease = taken.lease;
  const outbox: Outbox = getOutboxPublisher({ store, publisher: deps.publisher, runId, tenant: durable.tenant, logger: log });
  // What a crash left unpublished goes out first, so subscribers see no gap.
  await outbox.catchUp();

  let committer: GroupCommitter | null = null;
  const inflight = new Map<string, { attempt: number; abort: AbortController; done: Promise<void>; startedAt: number }>();
  const notBefore = new Map<string, number>();
  const values = new Map<string, unknown>();
  let pending: NewEvent[] = [];
  let attemptsStarted = 0;
  let lastProjectionAt = 0;
  let projectionTimer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;
  let leaseLost = false;
  const nudge = () => wake?.();

  const view = (): RunState =>
    pending.length === 0 ? durable : project(pending.map((e, i) => ({ ...e, seq: durable.lastSeq + i + 1 }) as StoredEvent), durable);

  const writeProjection = async (): Promise<void> => {
    projectionTimer = null;
    lastProjectionAt = now();
    try {
      await store.writeProjection(runId, durable);
    } catch (err) {
      log.warn({ err: ensureError(err).message }, 'run.json write failed; readers fold the log');
    }
  };
  const scheduleProjection = (): void => {
    if (projectionTimer) return;
    const wait = Math.max(0, lastProjectionAt + options.projectionIntervalMs - now());
    projectionTimer = setTimeout(() => void writeProjection(), wait);
  };

  const failpoint = deps.failpoint ?? (() => undefined);

  const onCommit = async (committed: StoredEvent[], lastSeq: number): Promise<void> => {
    failpoint('committed');
    const ids = new Set(committed.map((e) => e.id));
    pending = pending.filter((e) => !ids.has(e.id));
    if (lastSeq - committed.length === durable.lastSeq && committed.every((e, i) => e.seq === durable.lastSeq + i + 1)) {
      durable = project(committed, durable);
    } else {
      // Someone else appended too (an operator's cancel): read what we have not seen.
      durable = project((await store.readLog(runId, durable.lastSeq)).events, durable);
    }
    scheduleProjection();
    void outbox.publishCommitted(committed, durable.status);
    nudge();
  };

  /** Decides against the view and queues the events; DomainErrors mean "not any more". */
  const record = (command: Command): NewEvent[] | null => {
    let events: NewEvent[];
    try {
      events = decide(command, view(), ctx());
    } catch (err) {
      if (err instanceof DomainError) {
        log.warn({ command: command.type, err: err.message }, 'command no longer applies');
        return null;
      }
      throw err;
    }
    if (events.length === 0) return [];
    pending.push(...events);
    void committer?.enqueue(events);
    return events;
  };

  let fatal: Error | null = null;
  /**
   * Records a decision whose events may only become durable after `persist`
   * (artifacts first, then the event naming them). Its place in the log's order
   * is taken now, so nothing decided later can overtake it.
   */
  const recordAfter = (command: Command, persist: () => Promise<void>): void => {
    let events: NewEvent[];
    try {
      events = decide(command, view(), ctx());
    } catch (err) {
      if (err instanceof DomainError) return;
      throw err;
    }
    if (!committer) throw new Error('recordAfter before the committer exists');
    pending.push(...events);
    const slot = committer.reserve();
    persist().then(
      () => void slot.fill(events),
      (err: unknown) => {
        // The place stays unfilled, so nothing after it is ever written: stop and let replay redo it.
        fatal = ensureError(err);
        log.error({ err: fatal.message }, 'persisting artifacts failed; stopping the execution');
        nudge();
      },
    );
  };

  const poll = async (): Promise<void> => {
    const fresh = await store.readLog(runId, durable.lastSeq);
    if (fresh.lastSeq < durable.lastSeq) {
      // The log went backwards (deleted under us): nothing this execution writes can be right.
      fatal = new Error(`the log of run ${runId} shrank from seq ${durable.lastSeq} to ${fresh.lastSeq}`);
      log.error(fatal.message);
      nudge();
      return;
    }
    if (fresh.events.length > 0) {
      durable = project(fresh.events, durable);
      pending = pending.filter((e) => !fresh.events.some((f) => f.id === e.id));
      nudge();
    }
  };

  const readInput = async (dep: string): Promise<unknown> => {
    if (values.has(dep)) return values.get(dep);
    const artifact = await store.getArtifact(runId, `${dep}.json`);
    if (!artifact) throw new Error(`artifact ${dep}.json of a succeeded node is missing`);
    const value: unknown = JSON.parse(artifact.body.toString('utf8'));
    values.set(dep, value);
    return value;
  };

  const runAttempt = async (id: string, attempt: number, abort: AbortController): Promise<void> => {
    const node = deps.nodes[id];
    const state = view();
    const started = now();
    try {
      failpoint('attempt-started');
      if (!node) throw new Error(`no implementation for node ${id}`);
      const deps_ = state.nodes[id]?.deps ?? [];
      const inputs: Record<string, unknown> = {};
      for (const d of deps_) inputs[d] = await readInput(d);
      const result = await node.run({
        runId,
        params: state.params as BuildParams,
        inputs,
        model: deps.model,
        signal: abort.signal,
        attempt,
      });
      if (abort.signal.aborted) throw new Interrupted();
      const files = [{ name: `${id}.json`, body: JSON.stringify(result.value, null, 2) + '\n', contentType: 'application/json' }, ...result.files];
      const blobs = files.map((f) => ({ name: f.name, bytes: typeof f.body === 'string' ? Buffer.from(f.body, 'utf8') : f.body, contentType: f.contentType }));
      const artifacts: ArtifactRef[] = blobs.map((b) => ({ name: b.name, sha256: sha256Hex(b.bytes), size: b.bytes.length, contentType: b.contentType }));
      values.set(id, result.value);
      // Dependents may start now; the success event becomes durable only after its artifacts.
      recordAfter(
        {
          type: 'SucceedAttempt',
          node: id,
          attempt,
          durationMs: Math.round(now() - started),
          artifacts,
          ...(result.usage ? { usage: result.usage } : {}),
        },
        async () => {
          for (const b of blobs) await store.putArtifact(runId, b.name, b.bytes, b.contentType);
          failpoint('artifacts-written');
        },
      );
      log.info({ node: id, attempt, durationMs: Math.round(now() - started) }, 'attempt succeeded');
    } catch (err) {
      if (abort.signal.aborted) return; // stopped by cancel or SIGTERM; the loop records it
      const failure = describeNodeFailure(err);
      const events = record({
        type: 'FailAttempt',
        node: id,
        attempt,
        durationMs: Math.round(now() - started),
        error: failure.error,
        ...(failure.usage ? { usage: failure.usage } : {}),
        ...(failure.issues ? { normalization: { issues: failure.issues } } : {}),
      });
      const failed = events?.[0];
      const willRetry = failed?.type === 'node.attempt.failed' && failed.data.willRetry;
      log.warn({ node: id, attempt, code: failure.error.code, willRetry }, 'attempt failed');
      if (willRetry) {
        const budget = view().nodes[id]?.budgetUsed ?? 1;
        const delay = Math.max(backoffMs(budget, options.retryBaseMs, options.retryMaxMs, random), failure.retryAfterMs ?? 0);
        notBefore.set(id, now() + delay);
        setTimeout(nudge, delay + 1).unref();
      }
    }
  };

  const startReady = (): void => {
    const state = view();
    if (state.cancelRequested || state.deleted || isTerminal(state.status)) return;
    if (Object.values(state.nodes).some((n) => n.status === 'failed')) return; // finish what runs, start nothing
    for (const id of readyNodes(state)) {
      if (inflight.size >= options.concurrency) return;
      if (inflight.has(id) || (notBefore.get(id) ?? 0) > now()) continue;
      const events = record({ type: 'StartAttempt', node: id, executionId });
      const started = events?.[0];
      if (!started || started.type !== 'node.attempt.started') continue;
      attemptsStarted++;
      const abort = new AbortController();
      const attempt = started.data.attempt;
      const done = runAttempt(id, attempt, abort).finally(() => {
        inflight.delete(id);
        nudge();
      });
      inflight.set(id, { attempt, abort, done, startedAt: now() });
    }
  };

  const stopInflight = async (reason: 'cancel' | 'sigterm'): Promise<void> => {
    for (const f of inflight.values()) f.abort.abort();
    const running = [...inflight.entries()];
    await Promise.allSettled(running.map(([, f]) => f.done));
    for (const [id, f] of running) {
      if (reason === 'cancel') record({ type: 'CancelAttempt', node: id, attempt: f.attempt, durationMs: Math.round(now() - f.startedAt) });
    }
    if (reason === 'sigterm') {
      // Recorded now rather than by the next execution, so the log says why.
      for (const [id, f] of running) record({ type: 'AbandonAttempt', node: id, attempt: f.attempt, reason: 'execution received SIGTERM' });
    }
  };

  const renewEvery = Math.max(50, Math.floor(options.leaseTtlMs / 3));
  const renewTimer = setInterval(() => {
    lease.renew().then(
      (ok) => {
        if (!ok) {
          leaseLost = true;
          nudge();
        }
      },
      (err: unknown) => log.warn({ err: ensureError(err).message }, 'lease renewal failed; will retry'),
    );
  }, renewEvery);
  const pollTimer = setInterval(() => {
    poll().catch((err: unknown) => log.warn({ err: ensureError(err).message }, 'poll failed'));
  }, options.pollMs);
  const onStop = () => nudge();
  stop.addEventListener('abort', onStop);

  let outcome: ExecutionOutcome;
  let exitCode: number;
  try {
    // Start (or take over) the execution; whatever a dead one left running is abandoned.
    const started = await decideAndAppend(
      store,
      runId,
      (state) =>
        isTerminal(state.status)
          ? []
          : [{ type: 'StartExecution', executionId, ...(input.cloudRunExecution ? { cloudRunExecution: input.cloudRunExecution } : {}), ...(input.taskAttempt !== undefined ? { taskAttempt: input.taskAttempt } : {}) }],
      ctx,
    );
    durable = project((await store.readLog(runId, durable.lastSeq)).events, durable);
    failpoint('execution-started');
    if (started.events.length > 0) void outbox.publishCommitted(started.events, durable.status);
    committer = getGroupCommitter(store, runId, {
      onCommit,
      onError: (err) => log.warn({ err: ensureError(err).message }, 'log append failed; retrying'),
    });
    scheduleProjection();

    for (;;) {
      if (fatal) {
        for (const f of inflight.values()) f.abort.abort();
        return { outcome: 'interrupted', exitCode: 1, attempts: attemptsStarted };
      }
      if (leaseLost) {
        log.error('lease lost to another execution; stopping without further writes');
        for (const f of inflight.values()) f.abort.abort();
        pending = [];
        return { outcome: 'lease_lost', exitCode: 1, attempts: attemptsStarted };
      }
      if (stop.aborted) {
        await stopInflight('sigterm');
        record({ type: 'FinishExecution', executionId, outcome: 'interrupted' });
        outcome = 'interrupted';
        exitCode = 143;
        break;
      }
      const state = view();
      if (isTerminal(state.status)) {
        outcome = state.status === 'succeeded' ? 'succeeded' : state.status === 'failed' ? 'failed' : 'cancelled';
        exitCode = 0;
        break;
      }
      if (state.cancelRequested || state.deleted) {
        await stopInflight('cancel');
        record({ type: 'ConfirmCancel' });
        record({ type: 'FinishExecution', executionId, outcome: 'cancelled' });
        continue;
      }
      startReady();
      if (inflight.size === 0) {
        const after = view();
        const nodes = Object.entries(after.nodes);
        const failed = nodes.find(([, n]) => n.status === 'failed');
        const waiting = nodes.some(([, n]) => n.status === 'pending');
        if (nodes.every(([, n]) => n.status === 'succeeded')) {
          record({ type: 'CompleteRun' });
          record({ type: 'FinishExecution', executionId, outcome: 'succeeded' });
          continue;
        }
        if (failed) {
          const err = failed[1].lastAttempt?.error;
          record({ type: 'FailRun', node: failed[0], reason: `node ${failed[0]} failed${err ? `: ${err.code}` : ''}` });
          record({ type: 'FinishExecution', executionId, outcome: 'failed' });
          continue;
        }
        if (!waiting) {
          // Nothing pending, nothing running, not all succeeded: only cancelled nodes remain.
          record({ type: 'ConfirmCancel' });
          record({ type: 'FinishExecution', executionId, outcome: 'cancelled' });
          continue;
        }
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        // Backoffs and polls nudge too; this is only a safety net.
        setTimeout(resolve, options.pollMs).unref();
      });
      wake = null;
    }
    await committer.flush();
    if (projectionTimer) clearTimeout(projectionTimer);
    await writeProjection();
    await outbox.flush();
    return { outcome, exitCode, attempts: attemptsStarted };
  } finally {
    clearInterval(renewTimer);
    clearInterval(pollTimer);
    stop.removeEventListener('abort', onStop);
    if (projectionTimer) clearTimeout(projectionTimer);
    if (!leaseLost && !fatal) await committer?.flush().catch(() => undefined);
    await lease.release().catch(() => undefined);
  }
}
