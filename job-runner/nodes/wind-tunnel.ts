/**
 * wind_tunnel: every strategy scored in every scenario (−2..+2, with a
 * rationale) by the model; robustness and the robust/contingent/fragile
 * classification are computed here from the scores, by a fixed rule.
 */
import { z } from 'zod';
import type { PipelineNode } from './node.ts';
import type { ScenarioNodeId } from './scenario-quadrants.ts';
import { askModel, provenanceSchema, readInput, toModelSchema } from './model-call.ts';
import { windTunnelOffline } from './wind-tunnel.offline.ts';
import { readScenarios } from './scenario.ts';
import { SCENARIO_NODES } from './scenario-quadrants.ts';
import { strategiesValueSchema } from './strategies.ts';

export const SCORE_MIN = -2;
export const SCORE_MAX = 2;
export const CLASSIFICATION_RULE =
  'robust: no negative score and mean ≥ 0.5; fragile: mean < 0 or no positive score; otherwise contingent';

const cellSchema = z.object({
  strategyId: z.string().describe('A strategy id from the data block, e.g. "S1"'),
  scenarioId: z.enum(SCENARIO_NODES),
  score: z.number().int().min(SCORE_MIN).max(SCORE_MAX).describe('-2 fails badly, -1 struggles, 0 neutral, +1 works, +2 thrives'),
  rationale: z.string().min(10).max(600).describe('Why, in this scenario\'s terms'),
});

export const windTunnelOutputSchema = z.object({
  cells: z.array(cellSchema).min(4).max(48).describe('One cell per strategy × scenario pair, every pair exactly once'),
  overview: z.string().min(20).max(1500).describe('What the wind tunnel reveals overall'),
});
export type WindTunnelOutput = z.infer<typeof windTunnelOutputSchema>;

export const classificationSchema = z.enum(['robust', 'contingent', 'fragile']);
export type Classification = z.infer<typeof classificationSchema>;

export const windTunnelValueSchema = z.object({
  scale: z.object({ min: z.number(), max: z.number() }),
  strategies: z.array(z.object({ id: z.string(), name: z.string() })),
  scenarios: z.array(z.object({ id: z.enum(SCENARIO_NODES), name: z.string() })),
  cells: z.array(cellSchema),
  robustness: z.array(
    z.object({ strategyId: z.string(), name: z.string(), mean: z.number(), min: z.number(), max: z.number(), classification: classificationSchema }),
  ),
  classificationRule: z.string(),
  overview: z.string(),
  provenance: provenanceSchema,
});
export type WindTunnelValue = z.infer<typeof windTunnelValueSchema>;

const jsonSchema = toModelSchema(windTunnelOutputSchema);

export function classify(scores: readonly number[]): { mean: number; min: number; max: number; classification: Classification } {
  const mean = Math.round((scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length)) * 100) / 100;
  const min = Math.min(...scores);
  const max = Math.max(...scores);
  const classification: Classification = min >= 0 && mean >= 0.5 ? 'robust' : mean < 0 || max <= 0 ? 'fragile' : 'contingent';
  return { mean, min, max, classification };
}

export function checkWindTunnel(out: WindTunnelOutput, strategyIds: readonly string[]): string[] {
  const issues: string[] = [];
  const known = new Set(strategyIds);
  const seen = new Map<string, number>();
  for (const c of out.cells) {
    if (!known.has(c.strategyId)) issues.push(`cell for unknown strategy "${c.strategyId}"`);
    const key = `${c.strategyId}×${c.scenarioId}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  for (const s of strategyIds) {
    for (const sc of SCENARIO_NODES) {
      const n = seen.get(`${s}×${sc}`) ?? 0;
      if (n === 0) issues.push(`missing cell ${s} × ${sc}`);
      if (n > 1) issues.push(`cell ${s} × ${sc} appears ${n} times`);
    }
  }
  return issues;
}

export const windTunnelNode: PipelineNode = {
  id: 'wind_tunnel',
  kind: 'model',
  offline: windTunnelOffline,
  async run(ctx) {
    const { strategies } = readInput(ctx, 'strategies', strategiesValueSchema);
    const scenarios = readScenarios(ctx);
    const inputs = {
      strategies: strategies.map((s) => ({ id: s.id, name: s.name, description: s.description })),
      scenarios: scenarios.map((s) => ({ id: s.id, name: s.name, logline: s.logline, narrative: s.narrative, winners: s.winners, losers: s.losers })),
    };
    const { output, usage, provenance } = await askModel(ctx, {
      node: 'wind_tunnel',
      task:
        'Wind-tunnel every strategy against every scenario: how well would the strategy, as described, perform if ' +
        'that scenario unfolds? Score each pair from -2 (fails badly) to +2 (thrives) and give the reason.',
      rules: [
        `Exactly ${strategies.length * SCENARIO_NODES.length} cells: every strategy id × every scenario id, each once.`,
        'Judge each cell on that scenario\'s own logic; a strategy may thrive in one world and fail in another.',
        'Use the whole scale where warranted; avoid scoring everything 0 or +1.',
      ],
      inputs,
      schema: windTunnelOutputSchema,
      jsonSchema,
      check: (output) => checkWindTunnel(output, strategies.map((s) => s.id)),
    });
    const cellOf = new Map(output.cells.map((c) => [`${c.strategyId}×${c.scenarioId}`, c]));
    const cells = strategies.flatMap((s) =>
      SCENARIO_NODES.flatMap((sc: ScenarioNodeId) => {
        const c = cellOf.get(`${s.id}×${sc}`);
        return c ? [{ strategyId: s.id, scenarioId: sc, score: c.score, rationale: c.rationale }] : [];
      }),
    );
    const robustness = strategies.map((s) => ({
      strategyId: s.id,
      name: s.name,
      ...classify(cells.filter((c) => c.strategyId === s.id).map((c) => c.score)),
    }));
    const value: WindTunnelValue = {
      scale: { min: SCORE_MIN, max: SCORE_MAX },
      strategies: strategies.map((s) => ({ id: s.id, name: s.name })),
      scenarios: scenarios.map((s) => ({ id: s.id, name: s.name })),
      cells,
      robustness,
      classificationRule: CLASSIFICATION_RULE,
      overview: output.overview,
      provenance,
    };
    return { value, files: [], usage };
  },
};
