/**
 * The DAG every engine runs in `npm run bench:peers`, the shape of
 * shared/domain/scenarioforge-pipeline.ts: charter → drivers → uncertainties →
 * four scenarios in parallel → matrix (0 ms) and strategies → wind_tunnel →
 * wind_tunnel_chart (0 ms) and report. Every model step sleeps exactly
 * STEP_MS and returns ~2 KB; critical path 7 × 200 ms = 1,400 ms.
 *
 * Each step body, when it starts and ends, appends a line to a trace file (a plain
 * write, no fsync; it survives SIGKILL because the kernel has it): that is how
 * the bench counts steps executed again after a crash, the same way for every
 * peer.
 */
import { appendFileSync } from 'node:fs';

export const STEP_MS = Number(process.env.BENCH_LATENCY_MS ?? 200);

export const NODES = [
  { id: 'charter', deps: [] as string[], ms: STEP_MS },
  { id: 'drivers', deps: ['charter'], ms: STEP_MS },
  { id: 'uncertainties', deps: ['drivers'], ms: STEP_MS },
  { id: 'scenario_a', deps: ['uncertainties'], ms: STEP_MS },
  { id: 'scenario_b', deps: ['uncertainties'], ms: STEP_MS },
  { id: 'scenario_c', deps: ['uncertainties'], ms: STEP_MS },
  { id: 'scenario_d', deps: ['uncertainties'], ms: STEP_MS },
  { id: 'matrix', deps: ['uncertainties', 'scenario_a', 'scenario_b', 'scenario_c', 'scenario_d'], ms: 0 },
  { id: 'strategies', deps: ['charter', 'scenario_a', 'scenario_b', 'scenario_c', 'scenario_d'], ms: STEP_MS },
  { id: 'wind_tunnel', deps: ['strategies', 'scenario_a', 'scenario_b', 'scenario_c', 'scenario_d'], ms: STEP_MS },
  { id: 'wind_tunnel_chart', deps: ['wind_tunnel'], ms: 0 },
  { id: 'report', deps: ['charter', 'uncertainties', 'scenario_a', 'scenario_b', 'scenario_c', 'scenario_d', 'strategies', 'wind_tunnel'], ms: STEP_MS },
] as const;

export const CRITICAL_MS = (() => {
  const finish = new Map<string, number>();
  for (const n of NODES) finish.set(n.id, n.ms + Math.max(0, ...n.deps.map((d) => finish.get(d) ?? 0)));
  return Math.max(...finish.values());
})();

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** ~2 KB of JSON-able text, different per run and node. */
export function payload(runId: string, node: string): { node: string; text: string } {
  const line = `${node} of ${runId}: a paragraph of model output standing in for the real thing. `;
  return { node, text: line.repeat(Math.ceil(2048 / line.length)).slice(0, 2048) };
}

/** The body of one step: trace its start and end, do the "work", return ~2 KB. */
export async function stepBody(trace: string, runId: string, node: string, ms: number): Promise<{ node: string; text: string }> {
  appendFileSync(trace, `${Date.now()} ${process.pid} ${runId} ${node} start\n`);
  if (ms > 0) await sleep(ms);
  appendFileSync(trace, `${Date.now()} ${process.pid} ${runId} ${node} end\n`);
  return payload(runId, node);
}

/**
 * Runs the DAG on an engine's step primitive, each node as soon as its deps are
 * done. Nodes that become ready together are started in a fixed order, so a
 * replay calls the engine's steps in the same order as the first execution.
 */
export async function runDag<P extends PromiseLike<unknown>>(step: (node: string, ms: number) => P, all: (ps: P[]) => PromiseLike<unknown>): Promise<number> {
  // Explicit waves that respect the deps and never wait on more than they must:
  await step('charter', STEP_MS);
  await step('drivers', STEP_MS);
  await step('uncertainties', STEP_MS);
  await all(['scenario_a', 'scenario_b', 'scenario_c', 'scenario_d'].map((s) => step(s, STEP_MS)));
  const matrix = step('matrix', 0); // needs only what is done; runs beside strategies
  await step('strategies', STEP_MS);
  await step('wind_tunnel', STEP_MS);
  await all([matrix, step('wind_tunnel_chart', 0), step('report', STEP_MS)]);
  return NODES.length;
}
