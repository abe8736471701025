/** charter: the scenario-planning brief — sharpened focal question, owner, horizon, scope, stakeholders, assumptions. */
import { z } from 'zod';
import type { PipelineNode } from './node.ts';
import { askModel, provenanceSchema, toModelSchema } from './model-call.ts';
import { charterOffline } from './charter.offline.ts';
import { normalise } from './text.ts';

export const charterOutputSchema = z.object({
  focalQuestion: z.string().min(10).max(600).describe('The sharpened focal question: specific, decision-oriented, bounded in time and scope'),
  decisionOwner: z.string().min(2).max(200).describe('Who owns the decision the scenarios inform (role, not a person)'),
  horizonYear: z.number().int().min(2026).max(2100).describe('The planning horizon year; equal to the requested horizonYear'),
  horizon: z.string().min(3).max(300).describe('Why this horizon fits the decision (asset life, regulation cycle, ...)'),
  scopeIn: z.array(z.string().min(2).max(200)).min(2).max(8).describe('What the scenarios cover'),
  scopeOut: z.array(z.string().min(2).max(200)).min(1).max(8).describe('What they deliberately leave out'),
  stakeholders: z
    .array(z.object({ name: z.string().min(2).max(120), interest: z.string().min(3).max(300) }))
    .min(3)
    .max(10)
    .describe('Who is affected or can affect the outcome, and what they want'),
  assumptions: z.array(z.string().min(5).max(300)).min(2).max(8).describe('Working assumptions the scenarios take as given'),
});
export type CharterOutput = z.infer<typeof charterOutputSchema>;

export const charterValueSchema = charterOutputSchema.extend({ provenance: provenanceSchema });
export type CharterValue = z.infer<typeof charterValueSchema>;

const jsonSchema = toModelSchema(charterOutputSchema);

export function checkCharter(out: CharterOutput, horizonYear: number): string[] {
  const issues: string[] = [];
  if (out.horizonYear !== horizonYear) issues.push(`horizonYear is ${out.horizonYear}, the request asks for ${horizonYear}`);
  const names = out.stakeholders.map((s) => normalise(s.name));
  if (new Set(names).size !== names.length) issues.push('stakeholders: names repeat');
  const scopeIn = new Set(out.scopeIn.map(normalise));
  for (const s of out.scopeOut) if (scopeIn.has(normalise(s))) issues.push(`scope: "${s}" is both in and out of scope`);
  return issues;
}

export const charterNode: PipelineNode = {
  id: 'charter',
  kind: 'model',
  offline: charterOffline,
  async run(ctx) {
    const inputs = {};
    const { output, usage, provenance } = await askModel(ctx, {
      node: 'charter',
      task:
        'Write the scenario-planning charter for the company and question in the data block: sharpen the focal ' +
        'question so it is specific and decision-oriented, name the decision owner, justify the horizon, set scope ' +
        'in and out, list stakeholders and the working assumptions.',
      rules: [
        'Keep horizonYear exactly as requested.',
        'Scope in and scope out must not overlap; stakeholder names must be distinct.',
        'Use the company, region and industry given; do not invent facts about the company.',
      ],
      inputs,
      schema: charterOutputSchema,
      jsonSchema,
      check: (output) => checkCharter(output, ctx.params.horizonYear),
    });
    const value: CharterValue = { ...output, provenance };
    return { value, files: [], usage };
  },
};
