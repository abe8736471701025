/**
 * What every node's offline responder shares (each node's own answer and
 * curated text sit beside it, in `<node>.offline.ts`): a draw seeded from the
 * params, loose readers for the request's inputs (the Gemini stub feeds them
 * from a parsed prompt, so they are not trusted to have the node's types), the
 * build's setting in words, and the note that marks every answer synthetic.
 * Same params → same answer, byte for byte; different params → different content.
 */
import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { BuildParams } from '../../shared/domain/params.ts';
import type { OfflineRequest } from '../../shared/llm/offline-model.ts';

export const SYNTHETIC_NOTE = 'Synthetic demo content from the offline model (curated library), not research.';

// ── determinism ─────────────────────────────────────────────────────────────

export type Rng = () => number;

/** mulberry32 seeded from sha256(stable params + salt): deterministic, well spread. */
export function seededRng(params: BuildParams, ...salt: string[]): Rng {
  const digest = createHash('sha256').update(stableStringify(params)).update('\0').update(salt.join('\0')).digest();
  let a = digest.readUInt32BE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The draw a responder makes for one request: seeded by the params and the node asking, so the four scenarios differ. */
export const requestRng = (req: OfflineRequest): Rng => seededRng(req.context.params, req.node);

export const int = (rng: Rng, n: number) => Math.floor(rng() * n);
export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[int(rng, items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}
export function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = int(rng, i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
export const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

// ── reading the loosely typed inputs ────────────────────────────────────────

export type Obj = Record<string, unknown>;
export const obj = (x: unknown): Obj => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Obj) : {});
export const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
export const str = (x: unknown, fallback = ''): string => (typeof x === 'string' ? x : fallback);
export const num = (x: unknown, fallback = 0): number => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);

// ── text helpers ────────────────────────────────────────────────────────────

/** Cuts at a word boundary so a long param never breaks a length limit. */
export function clip(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}
export const lowerFirst = (s: string) => (s.length > 1 && s[1] !== s[1]?.toUpperCase() ? s[0]?.toLowerCase() + s.slice(1) : s);

/** The build in words, as every answer phrases it. */
export interface Setting {
  company: string;
  where: string;
  industry: string;
  horizon: number;
  mid: number;
}

export function setting(params: BuildParams): Setting {
  const horizon = params.horizonYear;
  return {
    company: clip(params.company, 80),
    where: params.region ? ` in ${clip(params.region, 60)}` : '',
    industry: params.industry ? `the ${clip(params.industry, 60)} sector` : 'its industry',
    horizon,
    mid: Math.min(horizon, 2026 + Math.max(1, Math.round((horizon - 2026) / 2))),
  };
}

/** Fills `{mid}` and `{horizon}` in library text. */
export const fill = (template: string, s: Setting) => template.replace(/\{mid\}/g, String(s.mid)).replace(/\{horizon\}/g, String(s.horizon));
