/**
 * Gemini key resolution, deterministic and reportable without the key:
 * request header (only when config allows it) → env `GEMINI_API_KEY` → none.
 * The result carries the key as a non-enumerable property, so JSON, logs,
 * spreads and `util.inspect` show only its source and fingerprint.
 */
import { createHash } from 'node:crypto';

export type GeminiKeySource = 'header' | 'env' | 'none';

export interface ResolvedGeminiKey {
  /** The key itself; non-enumerable — never serialised, never logged. */
  readonly key: string | null;
  readonly source: GeminiKeySource;
  /** `sha256:` + the first 8 hex digits of the key's SHA-256, or null with no key. */
  readonly fingerprint: string | null;
  toJSON(): { source: GeminiKeySource; fingerprint: string | null };
}

export interface ResolveGeminiKeyInput {
  headerKey?: string | undefined;
  allowHeader: boolean;
  envKey?: string | undefined;
}

export function fingerprintKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

const present = (k: string | undefined): k is string => typeof k === 'string' && k.trim() !== '';

export function resolveGeminiKey(input: ResolveGeminiKeyInput): ResolvedGeminiKey {
  let key: string | null = null;
  let source: GeminiKeySource = 'none';
  if (input.allowHeader && present(input.headerKey)) {
    key = input.headerKey.trim();
    source = 'header';
  } else if (present(input.envKey)) {
    key = input.envKey.trim();
    source = 'env';
  }
  const fingerprint = key === null ? null : fingerprintKey(key);
  const result = { source, fingerprint } as { source: GeminiKeySource; fingerprint: string | null };
  Object.defineProperty(result, 'key', { value: key, enumerable: false, writable: false, configurable: false });
  Object.defineProperty(result, 'toJSON', { value: () => ({ source, fingerprint }), enumerable: false });
  return Object.freeze(result) as ResolvedGeminiKey;
}
