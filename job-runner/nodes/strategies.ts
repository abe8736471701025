/**
 * strategies: the options to wind-tunnel. The user's `strategies` param, when
 * given (non-empty), is used as is and no model is called; otherwise the model
 * proposes 4–6 distinct options.
 */
import { z } from 'zod';
import type { PipelineNode } from './node.ts';
import { charterValueSchema } from './charter.ts';
import { askModel, provenanceSchema, readInput, throwIfCancelled, toModelSchema } from './model-call.ts';
import { strategiesOffline } from './strategies.offline.ts';
import { readScenarios } from './scenario.ts';
import { nearDuplicatePairs } from './text.ts';

export const MIN_PROPOSED = 4;
export const MAX_PROPOSED = 6;

export const strategiesOutputSchema = z.object({
  strategies: z
    .array(
      z.object({
        name: z.string().min(3).max(100).describe('Short name of the strategic option'),
        description: z.string().min(20).max(800).describe('What the company would do, concretely'),
      }),
    )
    .min(MIN_PROPOSED)
    .max(MAX_PROPOSED),
});
export type StrategiesOutput = z.infer<typeof strategiesOutputSchema>;

export const strategySchema = z.object({ id: z.string(), name: z.string(), description: z.string() });
export type Strategy = z.infer<typeof strategySchema>;

export const strategiesValueSchema = z.object({
  source: z.enum(['user', 'model']),
  strategies: z.array(strategySchema).min(1),
  /** Null when the user supplied the strategies (no model involved). */
  provenance: provenanceSchema.nullable(),
});
export type StrategiesValue = z.infer<typeof strategiesValueSchema>;

const jsonSchema = toModelSchema(strategiesOutputSchema);

export function checkStrategies(out: StrategiesOutput): string[] {
  const issues: string[] = [];
  const n = out.strategies.length;
  if (n < MIN_PROPOSED || n > MAX_PROPOSED) issues.push(`${n} strategies, need ${MIN_PROPOSED}–${MAX_PROPOSED}`);
  for (const [i, j] of nearDuplicatePairs(out.strategies.map((s) => s.name), 0.75)) {
    issues.push(`strategies ${i + 1} and ${j + 1} are near-duplicates ("${out.strategies[i]?.name}", "${out.strategies[j]?.name}")`);
  }
  return issues;
}

export const strategiesNode: PipelineNode = {
  id: 'strategies',
  kind: 'model',
  offline: strategiesOffline,
  async run(ctx) {
    throwIfCancelled(ctx.signal);
    const given = ctx.params.strategies ?? [];
    if (given.length > 0) {
      const value: StrategiesValue = {
        source: 'user',
        strategies: given.map((s, i) => ({ id: `S${i + 1}`, name: s, description: s })),
        provenance: null,
      };
      return { value, files: [] };
    }
    const { provenance: _p, ...charter } = readInput(ctx, 'charter', charterValueSchema);
    const scenarios = readScenarios(ctx);
    const inputs = {
      charter: { focalQuestion: charter.focalQuestion, decisionOwner: charter.decisionOwner, horizonYear: charter.horizonYear, scopeIn: charter.scopeIn },
      scenarios: scenarios.map((s) => ({ id: s.id, name: s.name, logline: s.logline, axis1Pole: s.axis1Pole, axis2Pole: s.axis2Pole, implications: s.implications })),
    };
    const { output, usage, provenance } = await askModel(ctx, {
      node: 'strategies',
      task: `Propose ${MIN_PROPOSED}–${MAX_PROPOSED} distinct strategic options the decision owner could choose, to be wind-tunnelled against the four scenarios.`,
      rules: [
        'Options are genuine alternatives (different bets), not variations of one idea, and within the company\'s control.',
        'Include at least one option built for robustness across scenarios and at least one bold bet on a single scenario.',
        'Do not score the options here.',
      ],
      inputs,
      schema: strategiesOutputSchema,
      jsonSchema,
      check: (output) => checkStrategies(output),
    });
    const value: StrategiesValue = {
      source: 'model',
      strategies: output.strategies.map((s, i) => ({ id: `S${i + 1}`, name: s.name, description: s.description })),
      provenance,
    };
    return { value, files: [], usage };
  },
};
