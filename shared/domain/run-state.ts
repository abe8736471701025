/**
 * The projection: `run.json` is `events.reduce(evolve, initialState())`.
 * `evolve` copies instead of mutating the state it is given and never throws on
 * a recorded event — a fact that makes no sense for the state is ignored, not
 * fatal, because the log is the truth and the fold must always be possible.
 */
import { type AttemptError, type ExecutionOutcome, type ExecutionReason, type LlmSnapshot, type KnownEvent, type NewEvent, type RunFailureCode, type StoredEvent } from './events.ts';

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
  /** One attempt's time limit in ms; null: none (runs created before timeouts existed). */
  timeoutMs: number | null;
}

export interface ExecutionState {
  id: string;
  reason: ExecutionReason;
  requestedAt: string;
  launchedAs: string | null;
  /** When the launcher last answered for it (a relaunch moves it). */
  launchedAt: string | null;
  startedAt: string | null;
  /** The last lease renewal the execution recorded: its heartbeat. */
  heartbeatAt: string | null;
  /** Until when its lease holds, as of the last heartbeat. */
  leaseExpiresAt: string | null;
  endedAt: string | null;
  outcome: ExecutionOutcome | null;
  /** Why it ended, when someone other than the execution closed it (the reconciler's `lost`). */
  endReason: string | null;
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
  failure: { node: string | null; reason: string; code: RunFailureCode } | null;
  /** The run fails with code `deadline` if it has not settled by then; null: no deadline. */
  deadlineAt: string | null;
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
    deadlineAt: null,
  };
}

export const TERMINAL: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL.has(status);
}

/**
 * A deep-enough copy for `apply` to mutate: every container `apply` writes to
 * is fresh, and the objects it replaces (lastAttempt, executions' entries)
 * are never mutated in place, so the source state is never touched.
 */
function draftOf(s: RunState): RunState {
  const nodes: Record<string, NodeState> = {};
  for (const id in s.nodes) nodes[id] = { ...(s.nodes[id] as NodeState) };
  return { ...s, progress: { ...s.progress }, nodes, executions: s.executions.slice(), usage: { ...s.usage } };
}

function recount(d: RunState): void {
  let done = 0;
  let total = 0;
  for (const id in d.nodes) {
    total++;
    if ((d.nodes[id] as NodeState).status === 'succeeded') done++;
  }
  d.progress = { done, total };
}

/** Changes a node's status, keeping `progress.done` in step without a recount. */
function setStatus(d: RunState, n: NodeState, status: NodeStatus): void {
  if (n.status === status) return;
  if (n.status === 'succeeded') d.progress.done--;
  if (status === 'succeeded') d.progress.done++;
  n.status = status;
}

function executionIndex(d: RunState, id: string): number {
  // Events almost always concern the newest execution: search from the end.
  for (let i = d.executions.length - 1; i >= 0; i--) if ((d.executions[i] as ExecutionState).id === id) return i;
  return -1;
}

function updateExecution(d: RunState, id: string, update: (e: ExecutionState) => ExecutionState): void {
  const i = executionIndex(d, id);
  if (i >= 0) d.executions[i] = update(d.executions[i] as ExecutionState);
}

function endAttempt(node: NodeState, attempt: number, status: AttemptStatus, at: string, error: AttemptError | null): LastAttempt {
  const startedAt = node.lastAttempt && node.lastAttempt.n === attempt ? node.lastAttempt.startedAt : at;
  return { n: attempt, status, startedAt, endedAt: at, error };
}

function addUsage(d: RunState, usage: { promptTokens: number; outputTokens: number } | undefined): void {
  if (!usage) return;
  d.usage = { promptTokens: d.usage.promptTokens + usage.promptTokens, outputTokens: d.usage.outputTokens + usage.outputTokens };
}

/** Folds one event into the state. Pure (it copies first), total, and never throws. */
export function evolve(previous: RunState, event: StoredEvent): RunState {
  if (event.seq <= previous.lastSeq) return previous;
  const d = draftOf(previous);
  apply(d, event);
  return d;
}

/** The fold: `events.reduce(evolve, from)`, with one copy instead of one per event. */
export function project(events: Iterable<StoredEvent>, from: RunState = initialState()): RunState {
  const d = draftOf(from);
  for (const e of events) if (e.seq > d.lastSeq) apply(d, e);
  return d;
}

/** The state after events not yet in the log, as if appended next (the view of a decision not yet durable). */
export function projectPending(events: readonly NewEvent[], from: RunState): RunState {
  return project(events.map((e, i) => ({ ...e, seq: from.lastSeq + i + 1 }) as StoredEvent), from);
}

/** Applies one event to a draft this module owns. The only place run semantics live. */
function apply(d: RunState, stored: StoredEvent): void {
  d.lastSeq = stored.seq;
  if (stored.at) d.updatedAt = stored.at;
  // Unknown types are never tagged with a known `type` (see upcast), so one switch
  // sorts both: known types take their case, anything newer falls to `default`.
  const event = stored as KnownEvent;
  switch (event.type) {
    case 'run.created': return runCreated(d, event);
    case 'execution.requested': return executionRequested(d, event);
    case 'execution.launched': return executionLaunched(d, event);
    case 'execution.started': return executionStarted(d, event);
    case 'execution.finished': return executionFinished(d, event);
    case 'execution.heartbeat': return executionHeartbeat(d, event);
    case 'node.attempt.started': return attemptStarted(d, event);
    case 'node.attempt.succeeded': return attemptSucceeded(d, event);
    case 'node.attempt.failed': return attemptFailed(d, event);
    case 'node.attempt.abandoned': return attemptAbandoned(d, event);
    case 'node.attempt.cancelled': return attemptCancelled(d, event);
    case 'node.retry.requested': return retryRequested(d, event);
    case 'run.cancel.requested': return cancelRequested(d);
    case 'run.cancelled': return runCancelled(d);
    case 'run.completed': return runCompleted(d);
    case 'run.failed': return runFailed(d, event);
    case 'run.deleted': return runDeleted(d);
    default: {
      // A type from a newer writer: keep its place in the log, change nothing else.
      const exhaustive: never = event;
      return void exhaustive;
    }
  }
}

type EventOf<T extends KnownEvent['type']> = Extract<KnownEvent, { type: T }>;

function runCreated(d: RunState, event: EventOf<'run.created'>): void {
  const x = event.data;
  const nodes: Record<string, NodeState> = {};
  for (const n of x.nodes) {
    nodes[n.id] = {
      status: 'pending',
      deps: [...n.deps],
      attempts: 0,
      budgetUsed: 0,
      maxAttempts: n.maxAttempts,
      lastAttempt: null,
      artifacts: [],
      timeoutMs: n.timeoutMs ?? null,
    };
  }
  d.runId = x.runId;
  d.tenant = x.tenant;
  d.label = x.label;
  d.signature = x.signature;
  d.params = x.params;
  d.pipelineVersion = x.pipelineVersion;
  d.appVersion = x.appVersion;
  d.llm = x.llm;
  d.createdAt = event.at;
  d.deadlineAt = x.deadlineAt ?? null;
  d.nodes = nodes;
  recount(d);
}

function executionRequested(d: RunState, event: EventOf<'execution.requested'>): void {
  if (d.status !== 'running') d.status = 'queued';
  d.executions.push({
    id: event.data.executionId,
    reason: event.data.reason,
    requestedAt: event.at,
    launchedAs: null,
    launchedAt: null,
    startedAt: null,
    heartbeatAt: null,
    leaseExpiresAt: null,
    endedAt: null,
    outcome: null,
    endReason: null,
    cloudRunExecution: null,
    taskAttempts: 0,
  });
}

function executionLaunched(d: RunState, event: EventOf<'execution.launched'>): void {
  updateExecution(d, event.data.executionId, (e) => ({ ...e, launchedAs: event.data.name, launchedAt: event.at }));
}

function executionStarted(d: RunState, event: EventOf<'execution.started'>): void {
  const x = event.data;
  if (executionIndex(d, x.executionId) < 0) return;
  updateExecution(d, x.executionId, (e) => ({
    ...e,
    startedAt: e.startedAt ?? event.at,
    endedAt: null,
    outcome: null,
    cloudRunExecution: x.cloudRunExecution ?? e.cloudRunExecution,
    taskAttempts: e.taskAttempts + 1,
  }));
  if (!isTerminal(d.status)) d.status = 'running';
}

function executionFinished(d: RunState, event: EventOf<'execution.finished'>): void {
  updateExecution(d, event.data.executionId, (e) => ({ ...e, endedAt: event.at, outcome: event.data.outcome, endReason: event.data.reason ?? null }));
}

function executionHeartbeat(d: RunState, event: EventOf<'execution.heartbeat'>): void {
  updateExecution(d, event.data.executionId, (e) =>
    e.outcome === null ? { ...e, heartbeatAt: event.at, leaseExpiresAt: event.data.leaseExpiresAt } : e,
  );
}

function attemptStarted(d: RunState, event: EventOf<'node.attempt.started'>): void {
  const n = d.nodes[event.data.node];
  if (!n) return;
  setStatus(d, n, 'running');
  n.attempts = Math.max(n.attempts, event.data.attempt);
  n.lastAttempt = { n: event.data.attempt, status: 'running', startedAt: event.at, endedAt: null, error: null };
}

function attemptSucceeded(d: RunState, event: EventOf<'node.attempt.succeeded'>): void {
  const n = d.nodes[event.data.node];
  addUsage(d, event.data.usage);
  if (!n) return;
  setStatus(d, n, 'succeeded');
  n.budgetUsed++;
  n.lastAttempt = endAttempt(n, event.data.attempt, 'succeeded', event.at, null);
  n.artifacts = event.data.artifacts.map((a) => a.name);
}

function attemptFailed(d: RunState, event: EventOf<'node.attempt.failed'>): void {
  const n = d.nodes[event.data.node];
  addUsage(d, event.data.usage);
  if (!n) return;
  setStatus(d, n, event.data.willRetry ? 'pending' : 'failed');
  n.budgetUsed++;
  n.lastAttempt = endAttempt(n, event.data.attempt, 'failed', event.at, event.data.error);
}

function attemptAbandoned(d: RunState, event: EventOf<'node.attempt.abandoned'>): void {
  const n = d.nodes[event.data.node];
  if (!n) return;
  if (n.status === 'running') setStatus(d, n, 'pending');
  n.lastAttempt = endAttempt(n, event.data.attempt, 'abandoned', event.at, null);
}

function attemptCancelled(d: RunState, event: EventOf<'node.attempt.cancelled'>): void {
  const n = d.nodes[event.data.node];
  if (!n) return;
  setStatus(d, n, 'cancelled');
  n.lastAttempt = endAttempt(n, event.data.attempt, 'cancelled', event.at, null);
}

function retryRequested(d: RunState, event: EventOf<'node.retry.requested'>): void {
  d.status = 'queued';
  d.failure = null;
  d.cancelRequested = false;
  for (const id of event.data.reset) {
    const n = d.nodes[id];
    if (!n) continue;
    if (n.status === 'succeeded') n.artifacts = [];
    setStatus(d, n, 'pending');
    n.budgetUsed = 0;
  }
}

function cancelRequested(d: RunState): void {
  if (!isTerminal(d.status)) d.cancelRequested = true;
}

function runCancelled(d: RunState): void {
  for (const id in d.nodes) {
    const n = d.nodes[id] as NodeState;
    if (n.status === 'pending' || n.status === 'running') setStatus(d, n, 'cancelled');
  }
  d.status = 'cancelled';
}

function runCompleted(d: RunState): void {
  d.status = 'succeeded';
  d.failure = null;
}

function runFailed(d: RunState, event: EventOf<'run.failed'>): void {
  d.status = 'failed';
  d.failure = { node: event.data.node, reason: event.data.reason, code: event.data.code ?? (event.data.node ? 'node_failed' : 'invalid_params') };
}

function runDeleted(d: RunState): void {
  d.deleted = true;
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
