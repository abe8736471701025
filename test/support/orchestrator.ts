/**
 * The orchestrator app on a real port for HTTP tests: a configuration built
 * through loadConfig (as `npm start` would), any store, a recording launcher
 * (or a real one), and small fetch helpers. Also: hashing a store directory,
 * to prove a refused request wrote nothing.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadConfig, type Config } from '../../shared/config.ts';
import { silentLogger } from '../../shared/logger.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { createApp, type AppDeps } from '../../orchestrator/app.ts';
import type { JobLauncher, LaunchError, LaunchRequest, LaunchResult } from '../../orchestrator/launchers/job-launcher.ts';

export const KEYS = { acme: 'acme-key-0001-secret', globex: 'globex-key-0002-secret' } as const;
export const API_KEYS = `acme:${KEYS.acme},globex:${KEYS.globex}`;

export const PARAMS = {
  company: 'Acme Grid',
  focalQuestion: 'How will European grid operators fund the 2035 transition?',
  horizonYear: 2035,
  region: 'Europe',
};

/** A configuration as loadConfig makes it from env (local store in `dir` unless overridden). */
export function testConfig(dir: string, env: Record<string, string> = {}): Config {
  return loadConfig({ RUN_STORE: 'local', RUNS_DIR: dir, API_KEYS, LOG_LEVEL: 'silent', ...env });
}

export interface RecordingLauncher extends JobLauncher {
  readonly requests: LaunchRequest[];
  /** The next launches fail with this (one per entry). */
  failures: LaunchError[];
}

/** A launcher that starts nothing and records what it was asked. */
export function recordingLauncher(backend: 'local' | 'cloudrun' = 'local'): RecordingLauncher {
  const requests: LaunchRequest[] = [];
  const failures: LaunchError[] = [];
  let n = 0;
  return {
    backend,
    requests,
    failures,
    async launch(req): Promise<LaunchResult> {
      const failure = failures.shift();
      if (failure) throw failure;
      requests.push(req);
      return { backend, name: `test/executions/e-${++n}` };
    },
    async observe() {
      return { state: 'unknown', reason: 'a recording launcher starts nothing' };
    },
    async close() {},
  };
}

export interface Running {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function listen(deps: Omit<AppDeps, 'logger'> & { logger?: AppDeps['logger'] }): Promise<Running> {
  const app = createApp({ ...deps, logger: deps.logger ?? silentLogger });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** fetch, reading the body as JSON when it is JSON. */
export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path_: string,
  options: { key?: string | undefined; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.key) headers['x-api-key'] = options.key;
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path_}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('application/json') && text !== '') parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export interface BuildReply {
  runId: string;
  status: string;
  reused: boolean;
  links: { ui: string; runJson: string; events: string };
  warnings?: string[];
  error?: { code: string; message: string; details?: { field: string; message: string }[] };
}

export const build = (base: string, key: string, body: unknown, headers?: Record<string, string>) =>
  call<BuildReply>(base, 'POST', '/build', { key, body, ...(headers ? { headers } : {}) });

/**
 * A request whose path is sent byte for byte (fetch would resolve `..` and
 * `%2e%2e` segments before sending, hiding exactly what traversal tests need).
 */
export function rawCall(
  base: string,
  method: string,
  rawPath: string,
  options: { key?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; json: { error?: { code: string; message: string; details?: { field: string; message: string }[] } } | null }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      method,
      path: rawPath,
      headers: {
        ...(options.key ? { 'x-api-key': options.key } : {}),
        ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}),
        ...(options.headers ?? {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        if ((res.headers['content-type'] ?? '').includes('json')) {
          try {
            json = JSON.parse(text) as never;
          } catch {
            json = null;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** sha256 of every file under `dir`, by relative path. */
export async function hashTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.set(path.relative(dir, p), createHash('sha256').update(await fs.readFile(p)).digest('hex'));
    }
  };
  await walk(dir);
  return out;
}

/** The raw bytes of a run's log (null when absent). */
export async function logBytes(store: RunStore, runId: string): Promise<string | null> {
  const bytes = await store.readRawLog(runId);
  return bytes ? bytes.toString('utf8') : null;
}

export async function waitUntil<T>(probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
