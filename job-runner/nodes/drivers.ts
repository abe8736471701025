/** drivers: the driving forces across STEEP, each rated for impact and uncertainty. */
import { z } from 'zod';
import type { PipelineNode } from './node.ts';
import { charterValueSchema } from './charter.ts';
import { askModel, provenanceSchema, readInput, toModelSchema } from './model-call.ts';
import { driversOffline } from './drivers.offline.ts';
import { nearDuplicatePairs } from './text.ts';

export const STEEP = ['social', 'technological', 'economic', 'environmental', 'political'] as const;
export const MIN_DRIVERS = 12;
export const MIN_CATEGORIES = 4;

const rating = (what: string) => z.number().int().min(1).max(5).describe(what);

export const driverSchema = z.object({
  name: z.string().min(3).max(120).describe('Short name of the driving force'),
  category: z.enum(STEEP),
  description: z.string().min(20).max(800).describe('How this force works and why it matters for the focal question'),
  impact: rating('Impact on the focal question, 1 (marginal) to 5 (decisive)'),
  uncertainty: rating('How uncertain its direction or size is by the horizon, 1 (predetermined) to 5 (wide open)'),
  evidence: z.array(z.string().min(3).max(300)).min(1).max(5).describe('Observed trends or data points behind the rating'),
  indicators: z.array(z.string().min(3).max(300)).min(1).max(5).describe('Observable metrics that would show its direction'),
});

export const driversOutputSchema = z.object({
  drivers: z.array(driverSchema).min(MIN_DRIVERS).max(20),
});
export type DriversOutput = z.infer<typeof driversOutputSchema>;

export const driverValueSchema = driverSchema.extend({ id: z.string() });
export type Driver = z.infer<typeof driverValueSchema>;
export const driversValueSchema = z.object({ drivers: z.array(driverValueSchema), provenance: provenanceSchema });
export type DriversValue = z.infer<typeof driversValueSchema>;

const jsonSchema = toModelSchema(driversOutputSchema);

export function checkDrivers(out: DriversOutput): string[] {
  const issues: string[] = [];
  if (out.drivers.length < MIN_DRIVERS) issues.push(`drivers: ${out.drivers.length}, need at least ${MIN_DRIVERS}`);
  const categories = new Set(out.drivers.map((d) => d.category));
  if (categories.size < MIN_CATEGORIES) {
    issues.push(`drivers cover ${categories.size} STEEP categories (${[...categories].join(', ')}), need at least ${MIN_CATEGORIES}`);
  }
  for (const [i, j] of nearDuplicatePairs(out.drivers.map((d) => d.name), 0.75)) {
    issues.push(`drivers ${i + 1} and ${j + 1} are near-duplicates ("${out.drivers[i]?.name}", "${out.drivers[j]?.name}")`);
  }
  return issues;
}

export const driversNode: PipelineNode = {
  id: 'drivers',
  kind: 'model',
  offline: driversOffline,
  async run(ctx) {
    const { provenance: _p, ...charter } = readInput(ctx, 'charter', charterValueSchema);
    const inputs = { charter };
    const { output, usage, provenance } = await askModel(ctx, {
      node: 'drivers',
      task:
        'List the driving forces that will shape the answer to the charter\'s focal question by its horizon. ' +
        'Scan every STEEP category; rate each force\'s impact and uncertainty and give evidence and indicators.',
      rules: [
        `At least ${MIN_DRIVERS} distinct forces (at most 20), covering at least ${MIN_CATEGORIES} of the five STEEP categories.`,
        'Forces are external to the company (contextual environment), not its own choices.',
        'Include predetermined elements (high impact, low uncertainty) as well as open uncertainties.',
        'No two forces may be restatements of each other.',
      ],
      inputs,
      schema: driversOutputSchema,
      jsonSchema,
      check: (output) => checkDrivers(output),
    });
    const value: DriversValue = { drivers: output.drivers.map((d, i) => ({ id: `D${i + 1}`, ...d })), provenance };
    return { value, files: [], usage };
  },
};
