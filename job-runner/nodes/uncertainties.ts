/**
 * uncertainties: forces ranked by impact × uncertainty (computed here, not by
 * the model), and the two critical uncertainties chosen as the 2×2 axes, each
 * with a named low and high pole.
 */
import { z } from 'zod';
import type { Driver } from './drivers.ts';
import type { PipelineNode } from './node.ts';
import { driversValueSchema } from './drivers.ts';
import { askModel, provenanceSchema, readInput, toModelSchema } from './model-call.ts';
import { uncertaintiesOffline } from './uncertainties.offline.ts';
import { nearDuplicate, normalise } from './text.ts';

const poleSchema = z.object({
  label: z.string().min(2).max(60).describe('Short name of this end of the axis'),
  description: z.string().min(10).max(400).describe('What the world looks like at this end'),
});

const axisSchema = z.object({
  name: z.string().min(3).max(120).describe('The critical uncertainty this axis spans'),
  question: z.string().min(10).max(300).describe('The uncertainty phrased as an open question'),
  driverIds: z.array(z.string()).min(1).max(4).describe('Ids (e.g. "D3") of the driving forces this axis combines'),
  low: poleSchema,
  high: poleSchema,
});

export const uncertaintiesOutputSchema = z.object({
  axes: z.array(axisSchema).length(2).describe('Exactly two critical uncertainties, independent of each other'),
  rationale: z.string().min(20).max(1500).describe('Why these two: high impact, high uncertainty, and independent'),
});
export type UncertaintiesOutput = z.infer<typeof uncertaintiesOutputSchema>;

export const rankedDriverSchema = z.object({
  driverId: z.string(),
  name: z.string(),
  category: z.string(),
  impact: z.number(),
  uncertainty: z.number(),
  score: z.number(),
});
export type RankedDriver = z.infer<typeof rankedDriverSchema>;

export const axisValueSchema = axisSchema.extend({ id: z.enum(['axis1', 'axis2']) });
export type Axis = z.infer<typeof axisValueSchema>;

export const uncertaintiesValueSchema = z.object({
  ranking: z.array(rankedDriverSchema),
  axes: z.tuple([axisValueSchema, axisValueSchema]),
  rationale: z.string(),
  provenance: provenanceSchema,
});
export type UncertaintiesValue = z.infer<typeof uncertaintiesValueSchema>;

const jsonSchema = toModelSchema(uncertaintiesOutputSchema);

/** Highest impact × uncertainty first; ties by impact, then by the drivers' order. */
export function rankDrivers(drivers: readonly Driver[]): RankedDriver[] {
  return drivers
    .map((d, i) => ({ d, i }))
    .sort((x, y) => y.d.impact * y.d.uncertainty - x.d.impact * x.d.uncertainty || y.d.impact - x.d.impact || x.i - y.i)
    .map(({ d }) => ({ driverId: d.id, name: d.name, category: d.category, impact: d.impact, uncertainty: d.uncertainty, score: d.impact * d.uncertainty }));
}

export function checkUncertainties(out: UncertaintiesOutput, ranking: readonly RankedDriver[]): string[] {
  const issues: string[] = [];
  const [a1, a2] = out.axes;
  if (!a1 || !a2) return ['axes: exactly two are needed'];
  const rank = new Map(ranking.map((r, i) => [r.driverId, { ...r, index: i }]));
  const topHalf = Math.ceil(ranking.length / 2);
  out.axes.forEach((axis, n) => {
    const label = `axis ${n + 1}`;
    const unknown = axis.driverIds.filter((id) => !rank.has(id));
    if (unknown.length) issues.push(`${label}: unknown driver ids ${unknown.join(', ')}`);
    const known = axis.driverIds.flatMap((id) => rank.get(id) ?? []);
    if (known.length && !known.some((r) => r.index < topHalf)) issues.push(`${label}: none of its drivers is in the top half of the impact × uncertainty ranking`);
    if (known.length && !known.some((r) => r.uncertainty >= 3)) issues.push(`${label}: its drivers are predetermined (uncertainty below 3), not critical uncertainties`);
    if (normalise(axis.low.label) === normalise(axis.high.label)) issues.push(`${label}: both poles are called "${axis.low.label}"`);
  });
  const shared = a1.driverIds.filter((id) => a2.driverIds.includes(id));
  if (shared.length) issues.push(`axes share drivers ${shared.join(', ')}: they must be independent`);
  if (nearDuplicate(a1.name, a2.name)) issues.push(`axes are near-duplicates ("${a1.name}", "${a2.name}")`);
  const labels = [a1.low.label, a1.high.label, a2.low.label, a2.high.label].map(normalise);
  if (new Set(labels).size !== labels.length) issues.push('pole labels must be four distinct names');
  return issues;
}

export const uncertaintiesNode: PipelineNode = {
  id: 'uncertainties',
  kind: 'model',
  offline: uncertaintiesOffline,
  async run(ctx) {
    const { drivers } = readInput(ctx, 'drivers', driversValueSchema);
    const ranking = rankDrivers(drivers);
    const inputs = {
      drivers: drivers.map((d) => ({ id: d.id, name: d.name, category: d.category, description: d.description, impact: d.impact, uncertainty: d.uncertainty })),
      ranking: ranking.map((r) => ({ driverId: r.driverId, name: r.name, score: r.score })),
    };
    const { output, usage, provenance } = await askModel(ctx, {
      node: 'uncertainties',
      task:
        'From the ranked driving forces, choose the two critical uncertainties that will span the 2×2 scenario ' +
        'matrix. Each axis may cluster related forces; name its low and its high pole.',
      rules: [
        'Pick from the top of the impact × uncertainty ranking; predetermined forces (uncertainty below 3) are not axes.',
        'The two axes must be independent: no shared driver ids and not restatements of one another.',
        'Poles are the two plausible extremes of the axis by the horizon, with four distinct labels in total.',
        'Use only driver ids that appear in the data block.',
      ],
      inputs,
      schema: uncertaintiesOutputSchema,
      jsonSchema,
      check: (output) => checkUncertainties(output, ranking),
    });
    const [a1, a2] = output.axes as [UncertaintiesOutput['axes'][number], UncertaintiesOutput['axes'][number]];
    const value: UncertaintiesValue = {
      ranking,
      axes: [{ id: 'axis1', ...a1 }, { id: 'axis2', ...a2 }],
      rationale: output.rationale,
      provenance,
    };
    return { value, files: [], usage };
  },
};
