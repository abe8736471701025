/**
 * Environment → typed configuration, validated once at start-up. A bad value
 * is a `ConfigError` naming the variable; entrypoints print its one line and
 * exit non-zero. What each variable may hold, and its default, is declared
 * in `config-schema.ts`; this file adds the rules between variables (a bucket
 * when RUN_STORE=gcs, keys in cloud mode, the job never reading API keys).
 * Secrets (API keys, the Gemini key) are kept out of `describeConfig`, which
 * is what logs and /health may show.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_GEMINI_MODEL, ENV_NAMES, envVar, type EnvName, type EnvValue } from './config-schema.ts';

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

/** Every variable either process reads (declared in shared/config-schema.ts; infra/env-contract.json is generated from it). */
export const CONFIG_ENV_NAMES: readonly string[] = ENV_NAMES;

export { DEFAULT_GEMINI_MODEL };

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
  /** One attempt's time limit, snapshotted per node into run.created. */
  nodeTimeoutMs: number;
  /** Seconds from creation until a run fails with code `deadline`; 0: none. */
  runDeadlineS: number;
  /** The job's lease TTL (renewed every third of it). */
  leaseTtlS: number;
  rateLimitPerMinute: number;
  appVersion: string;
  pipelineVersion: string;
  publicBaseUrl: string | null;
  logLevel: string;
  /** The reconciler (DESIGN §11). `token` is a secret: never logged, never in /health. */
  reconcile: { intervalS: number; launchGraceS: number; maxExecutions: number; token: string | null };
}

/**
 * One variable, parsed as ENV_SCHEMA declares it: unset or blank → its
 * default; otherwise trimmed and parsed, a bad value → ConfigError naming it.
 */
export function readEnvVar<N extends EnvName>(env: Env, name: N): EnvValue<N> {
  const spec = envVar(name);
  const trimmed = env[name]?.trim();
  if (trimmed === undefined || trimmed === '') return spec.default as EnvValue<N>;
  const parsed = spec.type.parse(trimmed);
  if ('error' in parsed) throw new ConfigError(name, parsed.error);
  return parsed.value as EnvValue<N>;
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
  // Enumerations are matched exactly: a stray space is more likely a templating slip than intent.
  for (const name of ENV_NAMES) {
    const value = env[name];
    if (envVar(name).type.exact && value !== undefined && value !== value.trim()) throw new ConfigError(name, 'must not have surrounding spaces');
  }
  const storeKind = readEnvVar(env, 'RUN_STORE');
  const prefix = readEnvVar(env, 'RUNS_PREFIX');
  let store: Config['store'];
  if (storeKind === 'gcs') {
    const bucket = readEnvVar(env, 'GCS_BUCKET');
    if (bucket === null) throw new ConfigError('GCS_BUCKET', 'is required when RUN_STORE=gcs');
    store = { kind: 'gcs', bucket, prefix, apiEndpoint: readEnvVar(env, 'GCS_API_ENDPOINT') };
  } else {
    store = { kind: 'local', dir: path.resolve(readEnvVar(env, 'RUNS_DIR') ?? 'storage') };
  }

  let launcher: Config['launcher'];
  if (readEnvVar(env, 'JOB_LAUNCHER') === 'cloudrun') {
    const job = readEnvVar(env, 'CLOUD_RUN_JOB');
    if (job === null) throw new ConfigError('CLOUD_RUN_JOB', 'is required when JOB_LAUNCHER=cloudrun');
    launcher = { kind: 'cloudrun', job, apiEndpoint: readEnvVar(env, 'CLOUD_RUN_API_ENDPOINT') };
  } else {
    launcher = { kind: 'local', maxRetries: readEnvVar(env, 'JOB_MAX_RETRIES'), mode: readEnvVar(env, 'LOCAL_JOB_MODE') };
  }

  const apiKeys = role === 'job' ? new Map<string, string>() : readApiKeys(env);
  if (role === 'orchestrator' && apiKeys.size === 0 && storeKind === 'gcs') throw new ConfigError('API_KEYS', 'is required when RUN_STORE=gcs (or set API_KEYS_FILE)');

  const geminiApiKey = readEnvVar(env, 'GEMINI_API_KEY');
  const provider = readEnvVar(env, 'LLM_PROVIDER') ?? (geminiApiKey ? 'gemini' : storeKind === 'gcs' ? 'gemini' : 'offline');
  const model = readEnvVar(env, 'GEMINI_MODEL');
  readEnvVar(env, 'VECTOR_STORE');
  const pubsubTopic = readEnvVar(env, 'PUBSUB_TOPIC');
  const projectId = readEnvVar(env, 'GOOGLE_CLOUD_PROJECT');

  return {
    port: readEnvVar(env, 'PORT'),
    store,
    projectId,
    launcher,
    pubsubTopic,
    apiKeys,
    llm: {
      provider,
      model,
      baseUrl: readEnvVar(env, 'GEMINI_BASE_URL'),
      timeoutMs: readEnvVar(env, 'GEMINI_TIMEOUT_MS'),
      allowRequestKey: readEnvVar(env, 'ALLOW_REQUEST_GEMINI_KEY'),
      offlineLatencyMs: readEnvVar(env, 'OFFLINE_MODEL_LATENCY_MS'),
    },
    geminiApiKey,
    nodeConcurrency: readEnvVar(env, 'NODE_CONCURRENCY'),
    nodeMaxAttempts: readEnvVar(env, 'NODE_MAX_ATTEMPTS'),
    nodeRetryBaseMs: readEnvVar(env, 'NODE_RETRY_BASE_MS'),
    nodeTimeoutMs: readEnvVar(env, 'NODE_TIMEOUT_MS'),
    runDeadlineS: readEnvVar(env, 'RUN_DEADLINE_S'),
    leaseTtlS: readEnvVar(env, 'LEASE_TTL_S'),
    rateLimitPerMinute: readEnvVar(env, 'RATE_LIMIT_PER_MINUTE'),
    appVersion: readEnvVar(env, 'SCENARIOOPS_VERSION'),
    pipelineVersion: readEnvVar(env, 'SCENARIOOPS_PIPELINE_VERSION'),
    publicBaseUrl: readEnvVar(env, 'PUBLIC_BASE_URL'),
    logLevel: readEnvVar(env, 'LOG_LEVEL'),
    reconcile: {
      intervalS: readEnvVar(env, 'RECONCILE_INTERVAL_S'),
      launchGraceS: readEnvVar(env, 'LAUNCH_GRACE_S'),
      maxExecutions: readEnvVar(env, 'RUN_MAX_EXECUTIONS'),
      token: role === 'job' ? null : readEnvVar(env, 'RECONCILE_TOKEN'),
    },
  };
}

/** The orchestrator's keys: API_KEYS, or the file API_KEYS_FILE names (a Secret Manager volume), never both. */
function readApiKeys(env: Env): Map<string, string> {
  const inline = readEnvVar(env, 'API_KEYS');
  const file = readEnvVar(env, 'API_KEYS_FILE');
  if (inline !== null && file !== null) throw new ConfigError('API_KEYS_FILE', 'set API_KEYS or API_KEYS_FILE, not both');
  if (inline !== null) return parseApiKeys(inline, 'API_KEYS');
  if (file === null) return new Map();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError('API_KEYS_FILE', 'cannot be read');
  }
  return parseApiKeys(text, 'API_KEYS_FILE');
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
