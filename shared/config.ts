/**
 * Environment → typed configuration, validated once at start-up. A bad value
 * is a `ConfigError` naming the variable; entrypoints print its one line and
 * exit non-zero. Secrets (API keys, the Gemini key) are kept out of
 * `describeConfig`, which is what logs and /health may show.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Thrown when an environment variable is missing or malformed; the message names it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.variable = variable;
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Every variable either process reads (infra/env-contract.json must agree). */
export const CONFIG_ENV_NAMES = [
  'PORT',
  'RUN_STORE',
  'RUNS_DIR',
  'GCS_BUCKET',
  'RUNS_PREFIX',
  'GCS_API_ENDPOINT',
  'GOOGLE_CLOUD_PROJECT',
  'JOB_LAUNCHER',
  'CLOUD_RUN_JOB',
  'CLOUD_RUN_API_ENDPOINT',
  'JOB_MAX_RETRIES',
  'LOCAL_JOB_MODE',
  'PUBSUB_TOPIC',
  'PUBSUB_EMULATOR_HOST',
  'API_KEYS',
  'API_KEYS_FILE',
  'LLM_PROVIDER',
  'GEMINI_API_KEY',
  'GEMINI_MODEL',
  'GEMINI_BASE_URL',
  'GEMINI_TIMEOUT_MS',
  'ALLOW_REQUEST_GEMINI_KEY',
  'OFFLINE_MODEL_LATENCY_MS',
  'NODE_CONCURRENCY',
  'NODE_MAX_ATTEMPTS',
  'NODE_RETRY_BASE_MS',
  'VECTOR_STORE',
  'SCENARIOOPS_VERSION',
  'SCENARIOOPS_PIPELINE_VERSION',
  'RATE_LIMIT_PER_MINUTE',
  'PUBLIC_BASE_URL',
  'LOG_LEVEL',
] as const;

export const DEFAULT_GEMINI_MODEL = 'gemini-2.5-flash';

export interface Config {
  port: number;
  store: { kind: 'local'; dir: string } | { kind: 'gcs'; bucket: string; prefix: string; apiEndpoint: string | null };
  projectId: string | null;
  /** Local: `process` = one job process per execution (as on Cloud Run); `worker` = one long-lived job worker runs them all. */
  launcher: { kind: 'local'; maxRetries: number; mode: 'process' | 'worker' } | { kind: 'cloudrun'; job: string; apiEndpoint: string | null };
  pubsubTopic: string | null;
  /** API key → tenant. Empty in local mode means "generate a local key". */
  apiKeys: ReadonlyMap<string, string>;
  llm: {
    provider: 'gemini' | 'offline';
    model: string;
    baseUrl: string | null;
    timeoutMs: number;
    allowRequestKey: boolean;
    offlineLatencyMs: number;
  };
  /** Never logged, never serialised: see `describeConfig`. */
  geminiApiKey: string | null;
  nodeConcurrency: number;
  nodeMaxAttempts: number;
  nodeRetryBaseMs: number;
  rateLimitPerMinute: number;
  appVersion: string;
  pipelineVersion: string;
  publicBaseUrl: string | null;
  logLevel: string;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${raw.slice(0, 40)}")`);
  }
  return raw as T;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer (got "${raw.slice(0, 40)}")`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max} (got ${n})`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw.slice(0, 40)}")`);
}

function url(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(name, 'must be an http(s) URL');
  }
  return raw.replace(/\/+$/, '');
}

/** Parses `tenant:key` pairs separated by commas (or newlines, for a mounted file). */
export function parseApiKeys(text: string, variable: string): Map<string, string> {
  const keys = new Map<string, string>();
  const entries = text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const tenant = colon > 0 ? entry.slice(0, colon).trim() : '';
    const key = colon > 0 ? entry.slice(colon + 1).trim() : '';
    // Never echo the entry: it holds a key.
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(tenant) || key.length < 8 || /\s/.test(key)) {
      throw new ConfigError(variable, `entry ${i + 1} must be tenant:key (tenant of letters, digits, - or _; key of at least 8 non-blank characters)`);
    }
    if (keys.has(key)) throw new ConfigError(variable, `entry ${i + 1} repeats a key`);
    keys.set(key, tenant);
  });
  return keys;
}

/** `orchestrator` needs API keys in cloud mode; the job never reads them (least privilege). */
export type ConfigRole = 'orchestrator' | 'job';

export function loadConfig(env: Env = process.env, role: ConfigRole = 'orchestrator'): Config {
  for (const name of ['RUN_STORE', 'JOB_LAUNCHER', 'LLM_PROVIDER', 'VECTOR_STORE'] as const) {
    const v = env[name];
    if (v !== undefined && v !== v.trim()) throw new ConfigError(name, 'must not have surrounding spaces');
  }
  const storeKind = oneOf(env, 'RUN_STORE', ['local', 'gcs'], 'local');
  const prefix = (env.RUNS_PREFIX ?? '').trim().replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && !/^[A-Za-z0-9._\-/]+$/.test(prefix)) throw new ConfigError('RUNS_PREFIX', 'may hold only letters, digits, ".", "_", "-" and "/"');
  if (prefix.split('/').some((p) => p === '..' || p === '.')) throw new ConfigError('RUNS_PREFIX', 'must not contain "." or ".." segments');
  let store: Config['store'];
  if (storeKind === 'gcs') {
    const bucket = env.GCS_BUCKET?.trim();
    if (!bucket) throw new ConfigError('GCS_BUCKET', 'is required when RUN_STORE=gcs');
    if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(bucket)) throw new ConfigError('GCS_BUCKET', 'is not a valid bucket name');
    store = { kind: 'gcs', bucket, prefix, apiEndpoint: url(env, 'GCS_API_ENDPOINT') };
  } else {
    store = { kind: 'local', dir: path.resolve(env.RUNS_DIR?.trim() || 'storage') };
  }

  const launcherKind = oneOf(env, 'JOB_LAUNCHER', ['local', 'cloudrun'], 'local');
  let launcher: Config['launcher'];
  if (launcherKind === 'cloudrun') {
    const job = env.CLOUD_RUN_JOB?.trim();
    if (!job) throw new ConfigError('CLOUD_RUN_JOB', 'is required when JOB_LAUNCHER=cloudrun');
    if (!/^projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/]+$/.test(job)) {
      throw new ConfigError('CLOUD_RUN_JOB', 'must be a full job name: projects/P/locations/L/jobs/J');
    }
    launcher = { kind: 'cloudrun', job, apiEndpoint: url(env, 'CLOUD_RUN_API_ENDPOINT') };
  } else {
    launcher = {
      kind: 'local',
      maxRetries: integer(env, 'JOB_MAX_RETRIES', 3, 0, 10),
      mode: oneOf(env, 'LOCAL_JOB_MODE', ['process', 'worker'], 'process'),
    };
  }

  let apiKeys = new Map<string, string>();
  if (role === 'job') {
    // The job has no use for API keys; it does not even look.
  } else if (env.API_KEYS?.trim() && env.API_KEYS_FILE?.trim()) throw new ConfigError('API_KEYS_FILE', 'set API_KEYS or API_KEYS_FILE, not both');
  else if (env.API_KEYS?.trim()) apiKeys = parseApiKeys(env.API_KEYS, 'API_KEYS');
  else if (env.API_KEYS_FILE?.trim()) {
    let text: string;
    try {
      text = readFileSync(env.API_KEYS_FILE.trim(), 'utf8');
    } catch {
      throw new ConfigError('API_KEYS_FILE', 'cannot be read');
    }
    apiKeys = parseApiKeys(text, 'API_KEYS_FILE');
  }
  if (role === 'orchestrator' && apiKeys.size === 0 && storeKind === 'gcs') throw new ConfigError('API_KEYS', 'is required when RUN_STORE=gcs (or set API_KEYS_FILE)');

  const geminiApiKey = env.GEMINI_API_KEY?.trim() || null;
  const provider = oneOf(env, 'LLM_PROVIDER', ['gemini', 'offline'], geminiApiKey ? 'gemini' : storeKind === 'gcs' ? 'gemini' : 'offline');
  const model = env.GEMINI_MODEL?.trim() || DEFAULT_GEMINI_MODEL;
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(model)) throw new ConfigError('GEMINI_MODEL', 'is not a model id');
  oneOf(env, 'VECTOR_STORE', ['off'], 'off');

  const pubsubTopic = env.PUBSUB_TOPIC?.trim() || null;
  if (pubsubTopic !== null && !/^(projects\/[^/]+\/topics\/)?[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/.test(pubsubTopic)) {
    throw new ConfigError('PUBSUB_TOPIC', 'is not a topic name');
  }
  const projectId = env.GOOGLE_CLOUD_PROJECT?.trim() || null;

  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    store,
    projectId,
    launcher,
    pubsubTopic,
    apiKeys,
    llm: {
      provider,
      model,
      baseUrl: url(env, 'GEMINI_BASE_URL'),
      timeoutMs: integer(env, 'GEMINI_TIMEOUT_MS', 120_000, 100, 3_600_000),
      allowRequestKey: bool(env, 'ALLOW_REQUEST_GEMINI_KEY', false),
      offlineLatencyMs: integer(env, 'OFFLINE_MODEL_LATENCY_MS', 0, 0, 600_000),
    },
    geminiApiKey,
    nodeConcurrency: integer(env, 'NODE_CONCURRENCY', 4, 1, 64),
    nodeMaxAttempts: integer(env, 'NODE_MAX_ATTEMPTS', 3, 1, 20),
    nodeRetryBaseMs: integer(env, 'NODE_RETRY_BASE_MS', 1000, 0, 600_000),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    appVersion: env.SCENARIOOPS_VERSION?.trim() || '0.1.0',
    pipelineVersion: env.SCENARIOOPS_PIPELINE_VERSION?.trim() || 'v1',
    publicBaseUrl: url(env, 'PUBLIC_BASE_URL'),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'], 'info'),
  };
}

/** The configuration as it may be logged or shown: backends and sources, no secret. */
export function describeConfig(c: Config): Record<string, unknown> {
  return {
    storage_backend: c.store.kind,
    job_backend: c.launcher.kind,
    ...(c.launcher.kind === 'local' ? { local_job_mode: c.launcher.mode } : {}),
    pubsub: c.pubsubTopic ? 'on' : 'off',
    llm_provider: c.llm.provider,
    llm_model: c.llm.provider === 'gemini' ? c.llm.model : 'offline',
    api_keys: c.apiKeys.size,
  };
}
