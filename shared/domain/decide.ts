/**
 * The Decider: `decide(command, state, ctx) → events`. Every invariant of a run
 * is checked here, before an append, so an illegal request becomes a
 * `DomainError` (mapped to 404/409 by the HTTP layer) and never a corrupt log.
 * Ids and time arrive in `ctx`: the core has no clock and no randomness.
 */
import { newEvent, type ArtifactRef, type AttemptError, type ExecutionOutcome, type ExecutionReason, type NewEvent, type RunCreatedData, type TokenUsage } from './events.ts';
import { downstreamOf } from './pipeline.ts';
import { isTerminal, openAttempts, type RunState } from './run-state.ts';

export type Command =
  | { type: 'CreateRun'; data: RunCreatedData }
  | { type: 'RequestExecution'; executionId: string; reason: ExecutionReason; by?: string }
  | { type: 'RecordLaunch'; executionId: string; backend: string; name: string }
  | { type: 'StartExecution'; executionId: string; cloudRunExecution?: string; taskAttempt?: number }
  | { type: 'FinishExecution'; executionId: string; outcome: ExecutionOutcome }
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
  | { type: 'FailRun'; node: string | null; reason: string }
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
  if (state.lastSeq === 0 || state.runId === '') throw new DomainError('not_found', 'run does not exist');
}

function requireLive(state: RunState): void {
  requireRun(state);
  if (state.deleted) throw new DomainError('not_found', 'run is deleted');
}

function requireNode(state: RunState, node: string) {
  const n = state.nodes[node];
  if (!n) throw new DomainError('not_found', `unknown node "${node}"`);
  return n;
}

export function decide(command: Command, state: RunState, ctx: DecideContext): NewEvent[] {
  const ev = <T extends Parameters<typeof newEvent>[0]>(type: T, data: Parameters<typeof newEvent<T>>[1]): NewEvent =>
    newEvent(type, data, ctx.newId(), ctx.now);

  switch (command.type) {
    case 'CreateRun':
      if (state.lastSeq !== 0) throw conflict('run already exists');
      return [ev('run.created', command.data)];

    case 'RequestExecution': {
      requireLive(state);
      if (isTerminal(state.status)) throw conflict(`run is ${state.status}; retry a node to run it again`);
      // A pending cancel does not block a new execution: if the one that should honour it
      // died, the new one confirms the cancel at once and closes the run (else it never would).
      if (state.executions.some((e) => e.id === command.executionId)) return [];
      return [ev('execution.requested', { executionId: command.executionId, reason: command.reason, ...(command.by ? { by: command.by } : {}) })];
    }

    case 'RecordLaunch':
      requireRun(state);
      if (!state.executions.some((e) => e.id === command.executionId)) throw new DomainError('not_found', 'unknown execution');
      return [ev('execution.launched', { executionId: command.executionId, backend: command.backend, name: command.name })];

    case 'StartExecution': {
      requireRun(state);
      if (isTerminal(state.status)) throw conflict(`run is already ${state.status}`);
      const events: NewEvent[] = [];
      // Started by hand (no request on record): record the request it stands for.
      if (!state.executions.some((e) => e.id === command.executionId)) {
        events.push(ev('execution.requested', { executionId: command.executionId, reason: 'resume' }));
      }
      // A different execution that never finished died; close it before taking over.
      for (const e of state.executions) {
        if (e.id !== command.executionId && e.startedAt !== null && e.outcome === null) {
          events.push(ev('execution.finished', { executionId: e.id, outcome: 'interrupted' }));
        }
      }
      events.push(
        ev('execution.started', {
          executionId: command.executionId,
          ...(command.cloudRunExecution ? { cloudRunExecution: command.cloudRunExecution } : {}),
          ...(command.taskAttempt !== undefined ? { taskAttempt: command.taskAttempt } : {}),
        }),
      );
      // The lease guarantees no other execution is alive: whatever was running is lost.
      for (const open of openAttempts(state)) {
        events.push(ev('node.attempt.abandoned', { ...open, reason: 'execution ended before the attempt finished' }));
      }
      return events;
    }

    case 'FinishExecution': {
      requireRun(state);
      const e = state.executions.find((x) => x.id === command.executionId);
      if (!e) throw new DomainError('not_found', 'unknown execution');
      if (e.outcome !== null) return [];
      return [ev('execution.finished', { executionId: command.executionId, outcome: command.outcome })];
    }

    case 'StartAttempt': {
      requireRun(state);
      if (isTerminal(state.status)) throw conflict(`run is ${state.status}`);
      if (state.cancelRequested) throw conflict('run is being cancelled');
      const n = requireNode(state, command.node);
      if (n.status !== 'pending') throw conflict(`node "${command.node}" is ${n.status}`);
      const blocked = n.deps.filter((d) => state.nodes[d]?.status !== 'succeeded');
      if (blocked.length > 0) throw conflict(`node "${command.node}" waits for ${blocked.join(', ')}`);
      return [ev('node.attempt.started', { node: command.node, attempt: n.attempts + 1, executionId: command.executionId })];
    }

    case 'SucceedAttempt': {
      const n = requireNode(state, command.node);
      if (n.status !== 'running' || n.lastAttempt?.n !== command.attempt) {
        throw conflict(`attempt ${command.attempt} of "${command.node}" is not running`);
      }
      return [
        ev('node.attempt.succeeded', {
          node: command.node,
          attempt: command.attempt,
          durationMs: command.durationMs,
          artifacts: command.artifacts,
          ...(command.usage ? { usage: command.usage } : {}),
        }),
      ];
    }

    case 'FailAttempt': {
      const n = requireNode(state, command.node);
      if (n.status !== 'running' || n.lastAttempt?.n !== command.attempt) {
        throw conflict(`attempt ${command.attempt} of "${command.node}" is not running`);
      }
      const willRetry = command.error.retryable && n.budgetUsed + 1 < n.maxAttempts;
      return [
        ev('node.attempt.failed', {
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

    case 'CancelAttempt': {
      const n = requireNode(state, command.node);
      if (n.status !== 'running' || n.lastAttempt?.n !== command.attempt) return [];
      return [ev('node.attempt.cancelled', { node: command.node, attempt: command.attempt, durationMs: command.durationMs })];
    }

    case 'AbandonAttempt': {
      const n = requireNode(state, command.node);
      if (n.status !== 'running' || n.lastAttempt?.n !== command.attempt) return [];
      return [ev('node.attempt.abandoned', { node: command.node, attempt: command.attempt, reason: command.reason })];
    }

    case 'RetryNode': {
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
        .map((n) => n.id)
        .filter((id) => id === command.node || (downstream.has(id) && state.nodes[id]?.status !== 'pending') || state.nodes[id]?.status === 'cancelled');
      return [ev('node.retry.requested', { node: command.node, by: command.by, reset })];
    }

    case 'RequestCancel':
      requireLive(state);
      if (isTerminal(state.status)) throw conflict(`run is already ${state.status}`);
      if (state.cancelRequested) return [];
      // Nothing has started: no execution will ever see the request, so it takes effect at once.
      if (state.executions.some((e) => e.startedAt !== null && e.outcome === null)) {
        return [ev('run.cancel.requested', { by: command.by })];
      }
      return [ev('run.cancel.requested', { by: command.by }), ev('run.cancelled', {})];

    case 'ConfirmCancel':
      requireRun(state);
      if (isTerminal(state.status)) return [];
      return [ev('run.cancelled', {})];

    case 'CompleteRun': {
      requireRun(state);
      if (isTerminal(state.status)) return [];
      const unfinished = Object.entries(state.nodes).filter(([, n]) => n.status !== 'succeeded');
      if (unfinished.length > 0) throw conflict(`nodes not succeeded: ${unfinished.map(([id]) => id).join(', ')}`);
      return [ev('run.completed', {})];
    }

    case 'FailRun':
      requireRun(state);
      if (isTerminal(state.status)) return [];
      return [ev('run.failed', { node: command.node, reason: command.reason })];

    case 'DeleteRun':
      requireRun(state);
      if (state.deleted) throw new DomainError('not_found', 'run is already deleted');
      return [ev('run.deleted', { by: command.by })];

    default: {
      const exhaustive: never = command;
      return exhaustive;
    }
  }
}
