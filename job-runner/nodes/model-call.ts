/**
 * What every model node does around its one call: derive the JSON Schema from
 * the node's zod schema, build the prompt, ask, validate, and turn a failed
 * validation or method check into a retryable `invalid_output` with the issues
 * listed.
 */
import { z } from 'zod';
import type { TokenUsage } from '../../shared/domain/events.ts';
import type { NodeContext } from './node.ts';
import { NodeError } from './node.ts';
import { buildPrompt } from './prompt.ts';

export const provenanceSchema = z.object({
  provider: z.enum(['gemini', 'offline']),
  model: z.string(),
  /** True when the content came from the offline model: demo material, not research. */
  synthetic: z.boolean(),
});
export type Provenance = z.infer<typeof provenanceSchema>;

type JsonSchema = Record<string, unknown>;

const describeBounds = (min: unknown, max: unknown, unit: string): string | null => {
  const lo = typeof min === 'number' && min > 0 ? min : null;
  const hi = typeof max === 'number' ? max : null;
  if (lo !== null && hi !== null) return lo === hi ? `exactly ${lo} ${unit}` : `${lo}–${hi} ${unit}`;
  if (lo !== null) return `at least ${lo} ${unit}`;
  if (hi !== null) return `at most ${hi} ${unit}`;
  return null;
};

/**
 * Gemini refuses response schemas whose count and length bounds push its
 * constrained decoder over a state budget (400 INVALID_ARGUMENT, "too many
 * states"). Those bounds move into the description, where the model reads
 * them; zod still enforces them on the answer.
 */
function relaxBounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(relaxBounds);
  if (typeof node !== 'object' || node === null) return node;
  const { minItems, maxItems, minLength, maxLength, ...rest } = node as JsonSchema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(rest)) out[k] = relaxBounds(v);
  const hints = [
    rest.type === 'array' ? describeBounds(minItems, maxItems, 'items') : null,
    rest.type === 'string' && typeof minLength === 'number' && minLength >= 50 ? `at least ${minLength} characters` : null,
    rest.type === 'string' && typeof maxLength === 'number' && maxLength <= 120 ? `at most ${maxLength} characters` : null,
  ].filter((h): h is string => h !== null);
  if (hints.length) out.description = typeof rest.description === 'string' ? `${rest.description} (${hints.join('; ')})` : `(${hints.join('; ')})`;
  return out;
}

/** The JSON Schema sent to the model, derived once from the zod schema (see `relaxBounds`). */
export function toModelSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema) as JsonSchema;
  return relaxBounds(rest) as JsonSchema;
}

const MAX_ISSUES = 25;

function zodIssues(error: z.ZodError): string[] {
  return error.issues.slice(0, MAX_ISSUES).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new NodeError('cancelled', 'the attempt was cancelled', { retryable: false });
}

/** Reads a dep's value; a dep that does not parse is an upstream fault, not worth a retry here. */
export function readInput<T>(ctx: NodeContext, dep: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(ctx.inputs[dep]);
  if (!parsed.success) {
    throw new NodeError('invalid_input', `the value of "${dep}" is not what this node reads`, {
      retryable: false,
      issues: zodIssues(parsed.error).map((i) => `${dep}.${i}`),
    });
  }
  return parsed.data;
}

/** One model step of a node: what to ask, what the answer must look like, and the method check it must pass. */
export interface ModelStep<T> {
  /** The node id, as the prompt marker and in error messages. */
  node: string;
  task: string;
  rules: readonly string[];
  /** What the node reads from upstream: the prompt's data block (with the params), and what the offline model reads. */
  inputs: Record<string, unknown>;
  schema: z.ZodType<T>;
  /** The schema sent to the model, from `toModelSchema(schema)` once per module. */
  jsonSchema: Record<string, unknown>;
  /** The method check: the issues that make the answer too weak to ship (none: it passes). */
  check: (output: T) => readonly string[];
}

export interface ModelAnswer<T> {
  output: T;
  usage: TokenUsage;
  provenance: Provenance;
}

/**
 * Builds the prompt, asks the model, validates the answer against the schema
 * and the method check; a failure of either is a retryable `invalid_output`.
 */
export async function askModel<T>(ctx: NodeContext, step: ModelStep<T>): Promise<ModelAnswer<T>> {
  throwIfCancelled(ctx.signal);
  const { node, inputs } = step;
  const prompt = buildPrompt({ node, task: step.task, rules: step.rules, data: { params: ctx.params, inputs } });
  const res = await ctx.model.generate({
    node,
    prompt,
    schema: step.jsonSchema,
    context: { params: ctx.params, inputs },
    signal: ctx.signal,
  });
  const parsed = step.schema.safeParse(res.json);
  if (!parsed.success) {
    throw new NodeError('invalid_output', `the ${node} answer does not match its schema`, {
      retryable: true,
      issues: zodIssues(parsed.error),
      usage: res.usage,
    });
  }
  assertMethod(node, step.check(parsed.data), res.usage);
  return {
    output: parsed.data,
    usage: res.usage,
    provenance: { provider: ctx.model.provider, model: res.model, synthetic: ctx.model.provider === 'offline' },
  };
}

/** The method check's verdict: any issue rejects the answer (retryable, the model may do better). */
function assertMethod(node: string, issues: readonly string[], usage: TokenUsage): void {
  if (issues.length === 0) return;
  throw new NodeError('invalid_output', `the ${node} answer fails the method check (${issues.length} issue${issues.length === 1 ? '' : 's'})`, {
    retryable: true,
    issues: issues.slice(0, MAX_ISSUES),
    usage,
  });
}
