/**
 * The Decider: `decide(command, state, ctx) → events`. Every invariant of a run
 * is checked here, before an append, so an illegal request becomes a
 * `DomainError` (mapped to 404/409 by the HTTP layer) and never a corrupt log.
 * Ids and time arrive in `ctx`: the core has no clock and no randomness.
 */
import {
  newEvent,
  type ArtifactRef,
  type AttemptError,
  type EventDataByType,
  type EventType,
  type ExecutionOutcome,
  type ExecutionReason,
  type NewEvent,
  type RunCreatedData,
  type RunFailureCode,
  type TokenUsage,
} from './events.ts';
import { downstreamOf } from './pipeline.ts';
import { findExecution, hasOpenExecution, isOpenExecution, isRunningAttempt, isSuperseded, runExists, unfinishedExecution } from './run-checks.ts';
import { isTerminal, openAttempts, projectPending, type NodeState, type RunState } from './run-state.ts';

export type Command =
  | { type: 'CreateRun'; data: RunCreatedData }
  | { type: 'RequestExecution'; executionId: string; reason: ExecutionReason; by?: string }
  | { type: 'RecordLaunch'; executionId: string; backend: string; name: string }
  | { type: 'StartExecution'; executionId: string; cloudRunExecution?: string; taskAttempt?: number }
  | { type: 'FinishExecution'; executionId: string; outcome: ExecutionOutcome; reason?: string }
  | { type: 'RecordHeartbeat'; executionId: string; leaseExpiresAt: string }
  | { type: 'StartAttempt'; node: string; executionId: string }
  | { type: 'SucceedAttempt'; node: string; attempt: number; durationMs: number; artifacts: ArtifactRef[]; usage?: TokenUsage }
  | {
      type: 'FailAttempt';
      node: string;
      attempt: number;
      durationMs: number;
      error: AttemptError;
      usage?: TokenUsage;
      normalization?: { issues: string[] };
    }
  | { type: 'CancelAttempt'; node: string; attempt: number; durationMs: number }
  | { type: 'AbandonAttempt'; node: string; attempt: number; reason: string }
  | { type: 'RetryNode'; node: string; by: string }
  | { type: 'RequestCancel'; by: string }
  | { type: 'ConfirmCancel' }
  | { type: 'CompleteRun' }
  | { type: 'FailRun'; node: string | null; reason: string; code?: RunFailureCode }
  | { type: 'DeleteRun'; by: string };

export type DomainErrorCode = 'not_found' | 'conflict' | 'invalid';

/** Thrown when a command is illegal in the run's current state; nothing is appended. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: DomainErrorCode;
  constructor(code: DomainErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface DecideContext {
  /** ISO timestamp for every event this decision produces. */
  now: string;
  /** A fresh unique id per call (UUIDv7 in production, a counter in tests). */
  newId: () => string;
}

const conflict = (message: string): DomainError => new DomainError('conflict', message);

function requireRun(state: RunState): void {
  if (!runExists(state)) throw new DomainError('not_found', 'run does not exist');
}

function requireLive(state: RunState): void {
  requireRun(state);
  if (state.deleted) throw new DomainError('not_found', 'run is deleted');
}

function requireNode(state: RunState, node: string): NodeState {
  const n = state.nodes[node];
  if (!n) throw new DomainError('not_found', `unknown node "${node}"`);
  return n;
}

/** Makes one event of this decision: a fresh id, the decision's time. */
type Emit = <T extends EventType>(type: T, data: EventDataByType[T]) => NewEvent;
type CommandOf<T extends Command['type']> = Extract<Command, { type: T }>;

export function decide(command: Command, state: RunState, ctx: DecideContext): NewEvent[] {
  const emit: Emit = (type, data) => newEvent(type, data, ctx.newId(), ctx.now);
  switch (command.type) {
    case 'CreateRun': return createRun(command, state, emit);
    case 'RequestExecution': return requestExecution(command, state, emit);
    case 'RecordLaunch': return recordLaunch(command, state, emit);
    case 'StartExecution': return startExecution(command, state, emit);
    case 'FinishExecution': return finishExecution(command, state, emit);
    case 'RecordHeartbeat': return recordHeartbeat(command, state, emit);
    case 'StartAttempt': return startAttempt(command, state, emit);
    case 'SucceedAttempt': return succeedAttempt(command, state, emit);
    case 'FailAttempt': return failAttempt(command, state, emit);
    case 'CancelAttempt': return cancelAttempt(command, state, emit);
    case 'AbandonAttempt': return abandonAttempt(command, state, emit);
    case 'RetryNode': return retryNode(command, state, emit);
    case 'RequestCancel': return requestCancel(command, state, emit);
    case 'ConfirmCancel': return confirmCancel(state, emit);
    case 'CompleteRun': return completeRun(state, emit);
    case 'FailRun': return failRun(command, state, emit);
    case 'DeleteRun': return deleteRun(command, state, emit);
    default: {
      const exhaustive: never = command;
      return exhaustive;
    }
  }
}

/** Decides `commands` in order, each on the state the earlier ones leave; throws what `decide` throws. Pure. */
export function decideAll(commands: readonly Command[], state: RunState, ctx: DecideContext): { state: RunState; events: NewEvent[] } {
  const events: NewEvent[] = [];
  let s = state;
  for (const command of commands) {
    const decided = decide(command, s, ctx);
    s = projectPending(decided, s);
    events.push(...decided);
  }
  return { state: s, events };
}

function createRun(command: CommandOf<'CreateRun'>, state: RunState, emit: Emit): NewEvent[] {
  if (state.lastSeq !== 0) throw conflict('run already exists');
  return [emit('run.created', command.data)];
}

function requestExecution(command: CommandOf<'RequestExecution'>, state: RunState, emit: Emit): NewEvent[] {
  requireLive(state);
  if (isTerminal(state.status)) throw conflict(`run is ${state.status}; retry a node to run it again`);
  // A pending cancel does not block a new execution: if the one that should honour it
  // died, the new one confirms the cancel at once and closes the run (else it never would).
  if (findExecution(state, command.executionId)) return [];
  // A resume or a recovery never runs beside a live execution: close a dead one first (the reconciler does).
  const unfinished = unfinishedExecution(state);
  if (unfinished && (command.reason === 'resume' || command.reason === 'recover')) {
    throw conflict(`execution ${unfinished.id} of this run is still ${unfinished.startedAt ? 'running' : 'starting'}`);
  }
  return [emit('execution.requested', { executionId: command.executionId, reason: command.reason, ...(command.by ? { by: command.by } : {}) })];
}

function recordLaunch(command: CommandOf<'RecordLaunch'>, state: RunState, emit: Emit): NewEvent[] {
  requireRun(state);
  if (!findExecution(state, command.executionId)) throw new DomainError('not_found', 'unknown execution');
  return [emit('execution.launched', { executionId: command.executionId, backend: command.backend, name: command.name })];
}

function startExecution(command: CommandOf<'StartExecution'>, state: RunState, emit: Emit): NewEvent[] {
  requireRun(state);
  if (isTerminal(state.status)) throw conflict(`run is already ${state.status}`);
  if (isSuperseded(state, command.executionId)) throw conflict(`execution ${command.executionId} was closed as lost or overtaken by a later one`);
  const events: NewEvent[] = [];
  // Started by hand (no request on record): record the request it stands for.
  if (!findExecution(state, command.executionId)) {
    events.push(emit('execution.requested', { executionId: command.executionId, reason: 'resume' }));
  }
  // A different execution that never finished died; close it before taking over.
  for (const e of state.executions) {
    if (e.id !== command.executionId && isOpenExecution(e)) {
      events.push(emit('execution.finished', { executionId: e.id, outcome: 'interrupted' }));
    }
  }
  events.push(
    emit('execution.started', {
      executionId: command.executionId,
      ...(command.cloudRunExecution ? { cloudRunExecution: command.cloudRunExecution } : {}),
      ...(command.taskAttempt !== undefined ? { taskAttempt: command.taskAttempt } : {}),
    }),
  );
  // The lease guarantees no other execution is alive: whatever was running is lost.
  for (const open of openAttempts(state)) {
    events.push(emit('node.attempt.abandoned', { ...open, reason: 'execution ended before the attempt finished' }));
  }
  return events;
}

function finishExecution(command: CommandOf<'FinishExecution'>, state: RunState, emit: Emit): NewEvent[] {
  requireRun(state);
  const e = findExecution(state, command.executionId);
  if (!e) throw new DomainError('not_found', 'unknown execution');
  if (e.outcome !== null) return [];
  return [emit('execution.finished', { executionId: command.executionId, outcome: command.outcome, ...(command.reason ? { reason: command.reason } : {}) })];
}

function recordHeartbeat(command: CommandOf<'RecordHeartbeat'>, state: RunState, emit: Emit): NewEvent[] {
  requireRun(state);
  const e = findExecution(state, command.executionId);
  if (!e || !isOpenExecution(e)) return [];
  return [emit('execution.heartbeat', { executionId: command.executionId, leaseExpiresAt: command.leaseExpiresAt })];
}

function startAttempt(command: CommandOf<'StartAttempt'>, state: RunState, emit: Emit): NewEvent[] {
  requireRun(state);
  if (isTerminal(state.status)) throw conflict(`run is ${state.status}`);
  if (state.cancelRequested) throw conflict('run is being cancelled');
  const n = requireNode(state, command.node);
  if (n.status !== 'pending') throw conflict(`node "${command.node}" is ${n.status}`);
  const blocked = n.deps.filter((d) => state.nodes[d]?.status !== 'succeeded');
  if (blocked.length > 0) throw conflict(`node "${command.node}" waits for ${blocked.join(', ')}`);
  return [emit('node.attempt.started', { node: command.node, attempt: n.attempts + 1, executionId: command.executionId })];
}

/** The node whose attempt `attempt` is in flight, for a command that ends it. */
function requireRunningAttempt(state: RunState, node: string, attempt: number): NodeState {
  const n = requireNode(state, node);
  if (!isRunningAttempt(n, attempt)) throw conflict(`attempt ${attempt} of "${node}" is not running`);
  return n;
}

function succeedAttempt(command: CommandOf<'SucceedAttempt'>, state: RunState, emit: Emit): NewEvent[] {
  requireRunningAttempt(state, command.node, command.attempt);
  return [
    emit('node.attempt.succeeded', {
      node: command.node,
      attempt: command.attempt,
      durationMs: command.durationMs,
      artifacts: command.artifacts,
      ...(command.usage ? { usage: command.usage } : {}),
    }),
  ];
}

function failAttempt(command: CommandOf<'FailAttempt'>, state: RunState, emit: Emit): NewEvent[] {
  const n = requireRunningAttempt(state, command.node, command.attempt);
  const willRetry = command.error.retryable && n.budgetUsed + 1 < n.maxAttempts;
  return [
    emit('node.attempt.failed', {
      node: command.node,
      attempt: command.attempt,
      durationMs: command.durationMs,
      error: command.error,
      willRetry,
      ...(command.usage ? { usage: command.usage } : {}),
      ...(command.normalization ? { normalization: command.normalization } : {}),
    }),
  ];
}

function cancelAttempt(command: CommandOf<'CancelAttempt'>, state: RunState, emit: Emit): NewEvent[] {
  const n = requireNode(state, command.node);
  if (!isRunningAttempt(n, command.attempt)) return [];
  return [emit('node.attempt.cancelled', { node: command.node, attempt: command.attempt, durationMs: command.durationMs })];
}

function abandonAttempt(command: CommandOf<'AbandonAttempt'>, state: RunState, emit: Emit): NewEvent[] {
  const n = requireNode(state, command.node);
  if (!isRunningAttempt(n, command.attempt)) return [];
  return [emit('node.attempt.abandoned', { node: command.node, attempt: command.attempt, reason: command.reason })];
}

function retryNode(command: CommandOf<'RetryNode'>, state: RunState, emit: Emit): NewEvent[] {
  requireLive(state);
  const n = requireNode(state, command.node);
  if (n.status !== 'failed' && n.status !== 'cancelled') {
    throw conflict(`node "${command.node}" is ${n.status}; only a failed or cancelled node can be retried`);
  }
  if (!isTerminal(state.status)) throw conflict(`run is ${state.status}; wait for it to stop before retrying a node`);
  const graph = Object.entries(state.nodes).map(([id, x]) => ({ id, deps: x.deps }));
  // Downstream work is redone; nodes stopped by a run-wide cancel resume with it.
  const downstream = new Set(downstreamOf(graph, command.node));
  const reset = graph
    .map((g) => g.id)
    .filter((id) => id === command.node || (downstream.has(id) && state.nodes[id]?.status !== 'pending') || state.nodes[id]?.status === 'cancelled');
  return [emit('node.retry.requested', { node: command.node, by: command.by, reset })];
}

function requestCancel(command: CommandOf<'RequestCancel'>, state: RunState, emit: Emit): NewEvent[] {
  requireLive(state);
  if (isTerminal(state.status)) throw conflict(`run is already ${state.status}`);
  if (state.cancelRequested) return [];
  if (hasOpenExecution(state)) return [emit('run.cancel.requested', { by: command.by })];
  // Nothing has started: no execution will ever see the request, so it takes effect at once.
  return [emit('run.cancel.requested', { by: command.by }), emit('run.cancelled', {})];
}

function confirmCancel(state: RunState, emit: Emit): NewEvent[] {
  requireRun(state);
  if (isTerminal(state.status)) return [];
  return [emit('run.cancelled', {})];
}

function completeRun(state: RunState, emit: Emit): NewEvent[] {
  requireRun(state);
  if (isTerminal(state.status)) return [];
  const unfinished = Object.entries(state.nodes).filter(([, n]) => n.status !== 'succeeded');
  if (unfinished.length > 0) throw conflict(`nodes not succeeded: ${unfinished.map(([id]) => id).join(', ')}`);
  return [emit('run.completed', {})];
}

function failRun(command: CommandOf<'FailRun'>, state: RunState, emit: Emit): NewEvent[] {
  requireRun(state);
  if (isTerminal(state.status)) return [];
  const code = command.code ?? (command.node ? 'node_failed' : undefined);
  return [emit('run.failed', { node: command.node, reason: command.reason, ...(code ? { code } : {}) })];
}

function deleteRun(command: CommandOf<'DeleteRun'>, state: RunState, emit: Emit): NewEvent[] {
  requireRun(state);
  if (state.deleted) throw new DomainError('not_found', 'run is already deleted');
  return [emit('run.deleted', { by: command.by })];
}
