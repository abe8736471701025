/**
 * A minimal instance of a JSON Schema: every property present, arrays at their
 * minimum length (at least one item), strings padded to their minimum length,
 * numbers at their lower bound. Enough to answer a structured-output request
 * whose meaning we do not know (the offline model's fallback, the Gemini stub's
 * default) — schema-valid, not meaningful.
 */

type Schema = Record<string, unknown>;

const isSchema = (x: unknown): x is Schema => typeof x === 'object' && x !== null && !Array.isArray(x);

export function sampleFromJsonSchema(schema: Schema, root: Schema = schema, depth = 0): unknown {
  if (depth > 32) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const ref = schema.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) target = isSchema(target) ? target[part] : undefined;
    return isSchema(target) ? sampleFromJsonSchema(target, root, depth + 1) : null;
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && isSchema(options[0])) return sampleFromJsonSchema(options[0], root, depth + 1);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = isSchema(schema.properties) ? schema.properties : {};
      for (const [name, sub] of Object.entries(props)) if (isSchema(sub)) out[name] = sampleFromJsonSchema(sub, root, depth + 1);
      return out;
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
      const items = isSchema(schema.items) ? schema.items : {};
      return Array.from({ length: Math.max(1, min) }, () => sampleFromJsonSchema(items, root, depth + 1));
    }
    case 'string': {
      const min = typeof schema.minLength === 'number' ? schema.minLength : 1;
      const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
      let s = 'sample';
      while (s.length < min) s += ' sample';
      return s.slice(0, Math.max(min, Math.min(max, s.length)));
    }
    case 'integer':
    case 'number': {
      const lo = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 0;
      const hi = typeof schema.maximum === 'number' ? schema.maximum : Infinity;
      return Math.min(type === 'integer' ? Math.ceil(lo) : lo, hi);
    }
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return null;
  }
}
