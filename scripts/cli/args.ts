/**
 * Argument handling shared by every command: the global options (`--url`,
 * `--key`, `--json`), where the command word sits, and the usage error that
 * maps to exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { localApiKey } from './local-key.ts';

export const DEFAULT_URL = 'http://localhost:8080';

/** Thrown when the command line itself is wrong: exit 2 with the usage text. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/** Global options that take a value (so the word after them is not the command). */
const VALUED_GLOBALS = new Set(['--url', '--key']);

/** The command word (the first positional, wherever the globals are) and every other argument. */
export function splitCommand(argv: readonly string[]): { command: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') break;
    if (VALUED_GLOBALS.has(token)) {
      i++;
      continue;
    }
    if (token.startsWith('-')) continue;
    return { command: token, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: undefined, rest: [...argv] };
}

/** parseArgs with the globals added and unknown options refused as a usage error. */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options: { ...GLOBAL_OPTIONS, ...options } });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export interface Connection {
  url: string;
  /** Never printed. */
  key: string | undefined;
}

/**
 * `--url`/`--key`, else SCENARIOFORGE_URL/SCENARIOFORGE_API_KEY, else the
 * default URL and — for an orchestrator on this machine only — the key the
 * local orchestrator generated under RUNS_DIR (./storage by default).
 */
export async function resolveConnection(values: { url?: string | undefined; key?: string | undefined }, env: NodeJS.ProcessEnv): Promise<Connection> {
  const raw = values.url ?? env.SCENARIOFORGE_URL?.trim() ?? '';
  const url = (raw === '' ? DEFAULT_URL : raw).replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url: "${url.slice(0, 100)}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError('--url: must be an http(s) URL');
  let key = values.key ?? (env.SCENARIOFORGE_API_KEY?.trim() || undefined);
  if (key === undefined && isLoopback(parsed.hostname)) key = (await localApiKey(env)) ?? undefined;
  return { url, key };
}

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** A positive integer option. */
export function intOption(name: string, raw: string | undefined, range: { min: number; max: number }): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw.trim())) throw new UsageError(`--${name}: must be an integer`);
  const n = Number(raw.trim());
  if (n < range.min || n > range.max) throw new UsageError(`--${name}: must be from ${range.min} to ${range.max}`);
  return n;
}

/** The n-th positional or a usage error naming it. */
export function positional(positionals: readonly string[], index: number, what: string, command: string): string {
  const value = positionals[index];
  if (value === undefined || value.trim() === '') throw new UsageError(`${command} needs ${what}`);
  return value.trim();
}
