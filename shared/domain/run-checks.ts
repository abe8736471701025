/**
 * Questions asked of a run's state — does it exist, who may see it, is an
 * execution open, will anything more be appended — answered once, here, for
 * the Decider, the orchestrator's routes and tails, and the tools alike.
 * Pure: state in, answer out.
 */
import { isTerminal, type ExecutionState, type NodeState, type RunState } from './run-state.ts';

/** The run has been created (its log starts with `run.created`). */
export function runExists(state: RunState): boolean {
  return state.lastSeq > 0 && state.runId !== '';
}

/**
 * How a run looks to someone asking for it. `unknown`: no such run, or —
 * when `tenant` is given (a key asks) — another tenant's run, which is never
 * told apart from an unknown one. `deleted`: soft-deleted, the log kept.
 */
export type RunVisibility = 'visible' | 'deleted' | 'unknown';

export function runVisibility(state: RunState, tenant?: string): RunVisibility {
  if (!runExists(state) || (tenant !== undefined && state.tenant !== tenant)) return 'unknown';
  return state.deleted ? 'deleted' : 'visible';
}

/** An execution that started and has not finished: it may still be appending (or it died without saying so). */
export function isOpenExecution(execution: ExecutionState): boolean {
  return execution.startedAt !== null && execution.outcome === null;
}

/**
 * The execution that has not finished, started or not (at most one is ever
 * unfinished; the newest wins): what a resume or a recovery must wait for.
 */
export function unfinishedExecution(state: RunState): ExecutionState | null {
  for (let i = state.executions.length - 1; i >= 0; i--) {
    const e = state.executions[i] as ExecutionState;
    if (e.outcome === null) return e;
  }
  return null;
}

export function hasOpenExecution(state: RunState): boolean {
  return state.executions.some(isOpenExecution);
}

export function findExecution(state: RunState, executionId: string): ExecutionState | undefined {
  return state.executions.find((e) => e.id === executionId);
}

/** Nothing more will be appended unless someone acts: deleted, or terminal with its executions closed. */
export function isSettled(state: RunState): boolean {
  return state.deleted || (isTerminal(state.status) && !hasOpenExecution(state));
}

/**
 * The log already closed `executionId` as lost, or a later execution has
 * started since: a paused job or a late task retry of it must not take the
 * run back from its successor.
 */
export function isSuperseded(state: RunState, executionId: string): boolean {
  const i = state.executions.findIndex((e) => e.id === executionId);
  if (i < 0) return false;
  return state.executions[i]?.outcome === 'lost' || state.executions.slice(i + 1).some((e) => e.startedAt !== null);
}

/** `attempt` is the node's attempt in flight. */
export function isRunningAttempt(node: NodeState, attempt: number): boolean {
  return node.status === 'running' && node.lastAttempt?.n === attempt;
}
