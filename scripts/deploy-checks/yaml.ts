/**
 * infra/*.yaml read with the `yaml` package, held to the plain subset the
 * checks can reason about: block mappings and sequences, plain and quoted
 * scalars, comments, one document. Flow collections, anchors and aliases,
 * tags, block scalars and multi-line plain scalars are refused with their
 * line number: each can hide what a value is from a check that reads the tree
 * (an alias hides where an env entry came from, a tag what it means). Scalars
 * stay strings, as Cloud Run reads them; an empty, `~` or `null` plain scalar
 * is null.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, Scalar, type Node } from 'yaml';

export type YamlValue = string | null | YamlValue[] | YamlMap;
export interface YamlMap { [key: string]: YamlValue }

/** Thrown when the text uses YAML outside the subset, or is malformed; the message starts with `line N:`. */
export class YamlSubsetError extends Error {}

const BLOCK_SCALARS: ReadonlySet<string | undefined> = new Set([Scalar.BLOCK_FOLDED, Scalar.BLOCK_LITERAL]);

function convert(node: unknown, lineOf: (offset: number) => number, text: string): YamlValue {
  if (node === null || node === undefined) return null;
  const at = (n: Node): number => lineOf(n.range?.[0] ?? 0);
  if (isAlias(node)) throw new YamlSubsetError(`line ${at(node)}: anchors and aliases are not supported`);
  const n = node as Node;
  if (n.anchor !== undefined) throw new YamlSubsetError(`line ${at(n)}: anchors and aliases are not supported`);
  if (n.tag !== undefined) throw new YamlSubsetError(`line ${at(n)}: tags are not supported`);
  if (isMap(n) || isSeq(n)) {
    if (n.flow === true) throw new YamlSubsetError(`line ${at(n)}: flow collections are not supported`);
  }
  if (isSeq(n)) return n.items.map((item) => convert(item, lineOf, text));
  if (isMap(n)) {
    const map: YamlMap = {};
    for (const pair of n.items) {
      const key = convert(pair.key, lineOf, text);
      const line = isScalar(pair.key) ? at(pair.key) : at(n);
      if (typeof key !== 'string' || key === '') throw new YamlSubsetError(`line ${line}: ${key === null || key === '' ? 'empty key' : 'keys must be scalars'}`);
      Object.defineProperty(map, key, { value: convert(pair.value, lineOf, text), enumerable: true, writable: true, configurable: true });
    }
    return map;
  }
  if (isScalar(n)) {
    if (BLOCK_SCALARS.has(n.type)) throw new YamlSubsetError(`line ${at(n)}: block scalars are not supported`);
    const [start, end] = n.range ?? [0, 0];
    if (text.slice(start, end).includes('\n')) throw new YamlSubsetError(`line ${lineOf(end)}: multi-line scalars are not supported (after line ${at(n)})`);
    const value = String(n.value);
    if (n.type === Scalar.PLAIN && (value === '' || value === '~' || value === 'null')) return null;
    return value;
  }
  throw new YamlSubsetError(`line ${at(n)}: unexpected content`);
}

/** Parses YAML held to the subset above; throws YamlSubsetError on anything else. */
export function parseYaml(text: string): YamlValue {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: true, lineCounter, prettyErrors: false });
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line;
  if (!Array.isArray(docs)) return null; // an empty stream
  const second = docs[1];
  if (second !== undefined) throw new YamlSubsetError(`line ${lineOf(second.range[0])}: only one document is supported`);
  const doc = docs[0];
  if (doc === undefined) return null;
  const problem = doc.errors[0];
  if (problem !== undefined) throw new YamlSubsetError(`line ${lineOf(problem.pos[0])}: ${problem.message.split('\n')[0] ?? 'malformed'}`);
  return convert(doc.contents, lineOf, text);
}

export function isYamlMap(v: YamlValue | undefined): v is YamlMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Follows a dotted path of mapping keys; `undefined` when any step is missing. */
export function yamlAt(root: YamlValue, path: string): YamlValue | undefined {
  let cur: YamlValue | undefined = root;
  for (const key of path.split('.')) {
    if (!isYamlMap(cur)) return undefined;
    cur = Object.hasOwn(cur, key) ? cur[key] : undefined;
  }
  return cur;
}

/** Every string in the tree, keys included (what a placeholder scan must see; comments are not in it). */
export function yamlStrings(root: YamlValue): string[] {
  if (root === null) return [];
  if (typeof root === 'string') return [root];
  if (Array.isArray(root)) return root.flatMap(yamlStrings);
  return Object.entries(root).flatMap(([k, v]) => [k, ...yamlStrings(v)]);
}
