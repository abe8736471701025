/**
 * The pipeline graph: nodes, their dependencies and their retry policy.
 * Validated once (unknown dep, duplicate id, cycle → `PipelineError`), then
 * snapshotted into `run.created` so a run keeps the graph it started with.
 */

export interface RetryPolicy {
  /** Attempts a node may spend (snapshotted per node into `run.created`). */
  maxAttempts: number;
  /** Full-jitter backoff before a retry: the step's base and cap (the scheduler's policy). */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The job's backoff unless configured otherwise (`NODE_RETRY_BASE_MS` sets the base). */
export const DEFAULT_RETRY_DELAYS: Readonly<Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>> = { baseDelayMs: 1000, maxDelayMs: 30_000 };

export interface PipelineNodeDef {
  id: string;
  deps: readonly string[];
  /**
   * Only the budget is per node: it is snapshotted into `run.created`, so a
   * replay keeps it. Delays are the job's policy (see `SchedulePolicy`).
   */
  retry?: Partial<Pick<RetryPolicy, 'maxAttempts'>>;
  /**
   * One attempt's time limit in ms; absent: `NODE_TIMEOUT_MS`. Snapshotted
   * into `run.created` like the budget, so a replay keeps the limit the run
   * was created with.
   */
  timeoutMs?: number;
}

export interface PipelineGraph {
  version: string;
  nodes: readonly PipelineNodeDef[];
}

/** Thrown when a pipeline graph is not a DAG of known, uniquely named nodes. */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
}

const NODE_ID = /^[a-z][a-z0-9_]{0,63}$/;

/** Checks the graph and returns its node ids in a topological order. */
export function validatePipeline(graph: PipelineGraph): string[] {
  const ids = new Set<string>();
  for (const node of graph.nodes) {
    if (!NODE_ID.test(node.id)) throw new PipelineError(`node id "${node.id}" must match ${NODE_ID.source}`);
    if (ids.has(node.id)) throw new PipelineError(`node "${node.id}" is defined twice`);
    ids.add(node.id);
  }
  for (const node of graph.nodes) {
    for (const dep of node.deps) {
      if (!ids.has(dep)) throw new PipelineError(`node "${node.id}" depends on unknown node "${dep}"`);
      if (dep === node.id) throw new PipelineError(`node "${node.id}" depends on itself`);
    }
  }
  return topologicalOrder(graph.nodes);
}

function topologicalOrder(nodes: readonly PipelineNodeDef[]): string[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const visit = (id: string, path: string[]): void => {
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(id)), id].join(' → ');
      throw new PipelineError(`pipeline has a cycle: ${cycle}`);
    }
    state.set(id, 'visiting');
    for (const dep of byId.get(id)?.deps ?? []) visit(dep, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const n of nodes) visit(n.id, []);
  return order;
}

/** The node and everything that depends on it, transitively, in graph order. */
export function downstreamOf(nodes: readonly { id: string; deps: readonly string[] }[], start: string): string[] {
  const out = new Set<string>([start]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of nodes) {
      if (!out.has(n.id) && n.deps.some((d) => out.has(d))) {
        out.add(n.id);
        grew = true;
      }
    }
  }
  return nodes.map((n) => n.id).filter((id) => out.has(id));
}

/** The longest chain of per-node costs: what no scheduler can beat. */
export function criticalPath(nodes: readonly { id: string; deps: readonly string[] }[], cost: (id: string) => number): number {
  const memo = new Map<string, number>();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const finish = (id: string): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const deps = byId.get(id)?.deps ?? [];
    const value = cost(id) + Math.max(0, ...deps.map(finish));
    memo.set(id, value);
    return value;
  };
  return Math.max(0, ...nodes.map((n) => finish(n.id)));
}
