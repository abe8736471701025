/**
 * The ScenarioForge nodes by id, exactly the ids of SCENARIOFORGE_PIPELINE
 * (checked at load). The runner looks a node up here, runs it with the deps'
 * values as `inputs`, persists `value` as `<id>.json` and each file by name.
 */
import type { NodeContext, NodeResult, PipelineNode } from './node.ts';
import type { OfflineResponders } from '../../shared/llm/offline-model.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { charterNode } from './charter.ts';
import { driversNode } from './drivers.ts';
import { matrixNode } from './matrix.ts';
import { reportNode } from './report.ts';
import { scenarioNode } from './scenario.ts';
import { strategiesNode } from './strategies.ts';
import { uncertaintiesNode } from './uncertainties.ts';
import { windTunnelChartNode } from './wind-tunnel-chart.ts';
import { windTunnelNode } from './wind-tunnel.ts';

const all: PipelineNode[] = [
  charterNode,
  driversNode,
  uncertaintiesNode,
  scenarioNode('scenario_a'),
  scenarioNode('scenario_b'),
  scenarioNode('scenario_c'),
  scenarioNode('scenario_d'),
  matrixNode,
  strategiesNode,
  windTunnelNode,
  windTunnelChartNode,
  reportNode,
];

export const NODES: Readonly<Record<string, PipelineNode>> = Object.freeze(Object.fromEntries(all.map((n) => [n.id, n])));

/** Each model node's offline responder under its id, the key its requests carry: what the offline model is built with. */
export const OFFLINE_RESPONDERS: OfflineResponders = Object.freeze(
  Object.fromEntries(all.flatMap((n) => (n.offline ? [[n.id, n.offline] as const] : []))),
);

{
  const graph = SCENARIOFORGE_PIPELINE.nodes.map((n) => n.id).sort();
  const have = Object.keys(NODES).sort();
  if (graph.join(',') !== have.join(',')) {
    throw new Error(`job-runner/nodes does not match the pipeline graph: graph [${graph.join(', ')}], nodes [${have.join(', ')}]`);
  }
}

/** Thrown when the runner asks for a node id this build does not implement. */
export class UnknownNodeError extends Error {
  override readonly name = 'UnknownNodeError';
}

export function runNode(id: string, ctx: NodeContext): Promise<NodeResult> {
  const node = NODES[id];
  if (!node) throw new UnknownNodeError(`no node "${id}"`);
  return node.run(ctx);
}

export type { NodeContext, NodeFile, NodeResult, PipelineNode } from './node.ts';
export { NodeError, describeNodeFailure } from './node.ts';
export { SCENARIO_QUADRANTS } from './scenario-quadrants.ts';
