/**
 * The projection: `run.json` is `events.reduce(evolve, initialState())`.
 * `evolve` copies instead of mutating the state it is given and never throws on
 * a recorded event — a fact that makes no sense for the state is ignored, not
 * fatal, because the log is the truth and the fold must always be possible.
 */
import { isKnownType, type AttemptError, type ExecutionOutcome, type ExecutionReason, type LlmSnapshot, type StoredEvent } from './events.ts';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type NodeStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type AttemptStatus = 'running' | 'succeeded' | 'failed' | 'abandoned' | 'cancelled';

export interface LastAttempt {
  n: number;
  status: AttemptStatus;
  startedAt: string;
  endedAt: string | null;
  error: AttemptError | null;
}

export interface NodeState {
  status: NodeStatus;
  deps: string[];
  attempts: number;
  /** Attempts counted against the retry budget since the last operator reset. */
  budgetUsed: number;
  maxAttempts: number;
  lastAttempt: LastAttempt | null;
  artifacts: string[];
}

export interface ExecutionState {
  id: string;
  reason: ExecutionReason;
  requestedAt: string;
  launchedAs: string | null;
  startedAt: string | null;
  endedAt: string | null;
  outcome: ExecutionOutcome | null;
  cloudRunExecution: string | null;
  taskAttempts: number;
}

export interface RunState {
  runId: string;
  tenant: string;
  label: string;
  status: RunStatus;
  deleted: boolean;
  cancelRequested: boolean;
  signature: string;
  params: Record<string, unknown>;
  pipelineVersion: string;
  appVersion: string;
  llm: LlmSnapshot | null;
  createdAt: string;
  updatedAt: string;
  lastSeq: number;
  progress: { done: number; total: number };
  nodes: Record<string, NodeState>;
  executions: ExecutionState[];
  usage: { promptTokens: number; outputTokens: number };
  failure: { node: string | null; reason: string } | null;
}

export function initialState(): RunState {
  return {
    runId: '',
    tenant: '',
    label: '',
    status: 'queued',
    deleted: false,
    cancelRequested: false,
    signature: '',
    params: {},
    pipelineVersion: '',
    appVersion: '',
    llm: null,
    createdAt: '',
    updatedAt: '',
    lastSeq: 0,
    progress: { done: 0, total: 0 },
    nodes: {},
    executions: [],
    usage: { promptTokens: 0, outputTokens: 0 },
    failure: null,
  };
}

export const TERMINAL: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL.has(status);
}

function withNode(state: RunState, id: string, update: (n: NodeState) => NodeState): RunState {
  const node = state.nodes[id];
  if (!node) return state;
  const nodes = { ...state.nodes, [id]: update(node) };
  return { ...state, nodes, progress: progressOf(nodes) };
}

function progressOf(nodes: Record<string, NodeState>): { done: number; total: number } {
  const all = Object.values(nodes);
  return { done: all.filter((n) => n.status === 'succeeded').length, total: all.length };
}

function withExecution(state: RunState, id: string, update: (e: ExecutionState) => ExecutionState): RunState {
  const i = state.executions.findIndex((e) => e.id === id);
  if (i < 0) return state;
  const executions = state.executions.slice();
  executions[i] = update(executions[i] as ExecutionState);
  return { ...state, executions };
}

function endAttempt(
  node: NodeState,
  attempt: number,
  status: AttemptStatus,
  at: string,
  error: AttemptError | null,
): LastAttempt {
  const startedAt = node.lastAttempt && node.lastAttempt.n === attempt ? node.lastAttempt.startedAt : at;
  return { n: attempt, status, startedAt, endedAt: at, error };
}

/** Folds one event into the state. Pure, total, and never throws. */
export function evolve(previous: RunState, event: StoredEvent): RunState {
  if (event.seq <= previous.lastSeq) return previous;
  const state: RunState = { ...previous, lastSeq: event.seq, updatedAt: event.at || previous.updatedAt };
  // A type from a newer writer: keep its place in the log, change nothing else.
  if ('unknown' in event || !isKnownType(event.type)) return state;

  switch (event.type) {
    case 'run.created': {
      const d = event.data;
      const nodes: Record<string, NodeState> = {};
      for (const n of d.nodes) {
        nodes[n.id] = {
          status: 'pending',
          deps: [...n.deps],
          attempts: 0,
          budgetUsed: 0,
          maxAttempts: n.maxAttempts,
          lastAttempt: null,
          artifacts: [],
        };
      }
      return {
        ...state,
        runId: d.runId,
        tenant: d.tenant,
        label: d.label,
        signature: d.signature,
        params: d.params,
        pipelineVersion: d.pipelineVersion,
        appVersion: d.appVersion,
        llm: d.llm,
        createdAt: event.at,
        nodes,
        progress: progressOf(nodes),
      };
    }
    case 'execution.requested':
      return {
        ...state,
        status: state.status === 'running' ? 'running' : 'queued',
        executions: [
          ...state.executions,
          {
            id: event.data.executionId,
            reason: event.data.reason,
            requestedAt: event.at,
            launchedAs: null,
            startedAt: null,
            endedAt: null,
            outcome: null,
            cloudRunExecution: null,
            taskAttempts: 0,
          },
        ],
      };
    case 'execution.launched':
      return withExecution(state, event.data.executionId, (e) => ({ ...e, launchedAs: event.data.name }));
    case 'execution.started': {
      const d = event.data;
      const next = withExecution(state, d.executionId, (e) => ({
        ...e,
        startedAt: e.startedAt ?? event.at,
        endedAt: null,
        outcome: null,
        cloudRunExecution: d.cloudRunExecution ?? e.cloudRunExecution,
        taskAttempts: e.taskAttempts + 1,
      }));
      return isTerminal(next.status) ? next : { ...next, status: 'running' };
    }
    case 'execution.finished':
      return withExecution(state, event.data.executionId, (e) => ({ ...e, endedAt: event.at, outcome: event.data.outcome }));
    case 'node.attempt.started': {
      const d = event.data;
      return withNode(state, d.node, (n) => ({
        ...n,
        status: 'running',
        attempts: Math.max(n.attempts, d.attempt),
        lastAttempt: { n: d.attempt, status: 'running', startedAt: event.at, endedAt: null, error: null },
      }));
    }
    case 'node.attempt.succeeded': {
      const d = event.data;
      const usage = d.usage
        ? { promptTokens: state.usage.promptTokens + d.usage.promptTokens, outputTokens: state.usage.outputTokens + d.usage.outputTokens }
        : state.usage;
      return withNode({ ...state, usage }, d.node, (n) => ({
        ...n,
        status: 'succeeded',
        budgetUsed: n.budgetUsed + 1,
        lastAttempt: endAttempt(n, d.attempt, 'succeeded', event.at, null),
        artifacts: d.artifacts.map((a) => a.name),
      }));
    }
    case 'node.attempt.failed': {
      const d = event.data;
      const usage = d.usage
        ? { promptTokens: state.usage.promptTokens + d.usage.promptTokens, outputTokens: state.usage.outputTokens + d.usage.outputTokens }
        : state.usage;
      return withNode({ ...state, usage }, d.node, (n) => ({
        ...n,
        status: d.willRetry ? 'pending' : 'failed',
        budgetUsed: n.budgetUsed + 1,
        lastAttempt: endAttempt(n, d.attempt, 'failed', event.at, d.error),
      }));
    }
    case 'node.attempt.abandoned': {
      const d = event.data;
      return withNode(state, d.node, (n) => ({
        ...n,
        status: n.status === 'running' ? 'pending' : n.status,
        lastAttempt: endAttempt(n, d.attempt, 'abandoned', event.at, null),
      }));
    }
    case 'node.attempt.cancelled': {
      const d = event.data;
      return withNode(state, d.node, (n) => ({
        ...n,
        status: 'cancelled',
        lastAttempt: endAttempt(n, d.attempt, 'cancelled', event.at, null),
      }));
    }
    case 'node.retry.requested': {
      let next: RunState = { ...state, status: 'queued', failure: null, cancelRequested: false };
      for (const id of event.data.reset) {
        next = withNode(next, id, (n) => ({ ...n, status: 'pending', budgetUsed: 0, artifacts: n.status === 'succeeded' ? [] : n.artifacts }));
      }
      return next;
    }
    case 'run.cancel.requested':
      return isTerminal(state.status) ? state : { ...state, cancelRequested: true };
    case 'run.cancelled': {
      const nodes: Record<string, NodeState> = {};
      for (const [id, n] of Object.entries(state.nodes)) {
        nodes[id] = n.status === 'pending' || n.status === 'running' ? { ...n, status: 'cancelled' } : n;
      }
      return { ...state, status: 'cancelled', nodes, progress: progressOf(nodes) };
    }
    case 'run.completed':
      return { ...state, status: 'succeeded', failure: null };
    case 'run.failed':
      return { ...state, status: 'failed', failure: { node: event.data.node, reason: event.data.reason } };
    case 'run.deleted':
      return { ...state, deleted: true };
    default: {
      const exhaustive: never = event;
      return exhaustive ? state : state;
    }
  }
}

/** The fold: `events.reduce(evolve, from)`. */
export function project(events: Iterable<StoredEvent>, from: RunState = initialState()): RunState {
  let state = from;
  for (const e of events) state = evolve(state, e);
  return state;
}

/** Attempts that were started and never ended (their execution died). */
export function openAttempts(state: RunState): { node: string; attempt: number }[] {
  const out: { node: string; attempt: number }[] = [];
  for (const [id, n] of Object.entries(state.nodes)) {
    if (n.status === 'running' && n.lastAttempt?.status === 'running') out.push({ node: id, attempt: n.lastAttempt.n });
  }
  return out;
}

/** Nodes whose deps have all succeeded and that wait for an attempt. */
export function readyNodes(state: RunState): string[] {
  return Object.entries(state.nodes)
    .filter(([, n]) => n.status === 'pending' && n.deps.every((d) => state.nodes[d]?.status === 'succeeded'))
    .map(([id]) => id);
}
