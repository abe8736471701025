/**
 * The ScenarioForge graph: charter → drivers → uncertainties → four scenarios
 * in parallel → matrix and strategies → wind tunnel → chart and report.
 * Ids and deps only; the node implementations live in job-runner/nodes.
 */
import type { PipelineGraph } from './pipeline.ts';

export const PIPELINE_VERSION = 'v1';

export const SCENARIO_NODES = ['scenario_a', 'scenario_b', 'scenario_c', 'scenario_d'] as const;

export const SCENARIOFORGE_PIPELINE: PipelineGraph = {
  version: PIPELINE_VERSION,
  nodes: [
    { id: 'charter', deps: [] },
    { id: 'drivers', deps: ['charter'] },
    { id: 'uncertainties', deps: ['drivers'] },
    { id: 'scenario_a', deps: ['uncertainties'] },
    { id: 'scenario_b', deps: ['uncertainties'] },
    { id: 'scenario_c', deps: ['uncertainties'] },
    { id: 'scenario_d', deps: ['uncertainties'] },
    { id: 'matrix', deps: ['uncertainties', ...SCENARIO_NODES] },
    { id: 'strategies', deps: ['charter', ...SCENARIO_NODES] },
    { id: 'wind_tunnel', deps: ['strategies', ...SCENARIO_NODES] },
    { id: 'wind_tunnel_chart', deps: ['wind_tunnel'] },
    { id: 'report', deps: ['charter', 'uncertainties', ...SCENARIO_NODES, 'strategies', 'wind_tunnel'] },
  ],
};
