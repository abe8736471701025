/**
 * Build parameters: validated and normalised once (defaults applied, strings
 * trimmed, unknown fields refused) before the signature is computed, so two
 * requests that mean the same build get the same signature.
 */
import { z } from 'zod';

const text = (min: number, max: number) => z.string().trim().min(min).max(max);

export const buildParamsSchema = z.strictObject({
  company: text(1, 200),
  focalQuestion: text(10, 1000),
  horizonYear: z.number().int().min(2026).max(2100),
  region: text(1, 200).optional(),
  industry: text(1, 200).optional(),
  strategies: z.array(text(3, 300)).max(8).optional(),
});

export type BuildParams = z.infer<typeof buildParamsSchema>;

export const buildRequestSchema = z.strictObject({
  params: buildParamsSchema,
  label: text(1, 200).optional(),
  force: z.boolean().optional(),
  /** Overrides RUN_DEADLINE_S for this run; not a param, so not part of the signature. */
  deadlineSeconds: z.number().int().min(1).max(604_800).optional(),
});

export type BuildRequest = z.infer<typeof buildRequestSchema>;
