/**
 * Every environment variable ScenarioForge reads, declared once: its values,
 * default, meaning, which process reads it and who provides it in the cloud,
 * and whether it is a secret. From this table come `loadConfig`'s validation
 * (`shared/config.ts`), the README's configuration table and
 * `infra/env-contract.json` (`npm run docs:env` writes both; a unit test and
 * `npm run check:deploy` fail when either drifts). A new variable is one entry
 * here.
 *
 * No I/O and no imports: the deploy checks and the docs script read it too.
 */

/** Who provides a variable in the cloud deployment (the `levels` of infra/env-contract.json). */
export type CloudLevel = 'required' | 'optional' | 'platform' | 'override' | 'image' | 'local-only';
export type EnvProcess = 'orchestrator' | 'job';

export const CLOUD_LEVELS: Readonly<Record<CloudLevel, string>> = {
  required: 'infra must set it in that process\'s YAML (a literal, a ${PLACEHOLDER} deploy.sh fills, or a pinned secret)',
  optional: 'the code has a default; infra may set it',
  platform: 'Cloud Run sets it (reserved name): infra must not',
  override: 'the orchestrator sets it per execution through runJob overrides: infra must not put it in the job YAML',
  image: 'the Dockerfile sets it: infra must not override it',
  'local-only': 'local runs, emulators and stubs only: infra must not set it in the cloud',
};

/** What one variable's value may be; `parse` gets the trimmed, non-empty value. */
export interface EnvType<T> {
  /** The accepted values, for people (README, contract). */
  readonly describe: string;
  /** A value with surrounding spaces is refused rather than trimmed. */
  readonly exact?: boolean;
  /** The parsed value, or an error message (which never echoes a secret). */
  parse(value: string): { value: T } | { error: string };
}

const got = (value: string): string => `(got "${value.slice(0, 40)}")`;

export function oneOf<const V extends string>(values: readonly V[], options: { exact?: boolean } = {}): EnvType<V> {
  return {
    describe: values.join('|'),
    ...(options.exact ? { exact: true } : {}),
    parse: (value) => ((values as readonly string[]).includes(value) ? { value: value as V } : { error: `must be one of ${values.join(', ')} ${got(value)}` }),
  };
}

export function integer(min: number, max: number): EnvType<number> {
  return {
    describe: `integer ${min}–${max}`,
    parse: (value) => {
      if (!/^-?\d+$/.test(value)) return { error: `must be an integer ${got(value)}` };
      const n = Number(value);
      return n < min || n > max ? { error: `must be between ${min} and ${max} (got ${n})` } : { value: n };
    },
  };
}

export function boolean(): EnvType<boolean> {
  return {
    describe: 'true|false',
    parse: (value) => {
      const v = value.toLowerCase();
      if (['true', '1', 'yes'].includes(v)) return { value: true };
      if (['false', '0', 'no'].includes(v)) return { value: false };
      return { error: `must be true or false ${got(v)}` };
    },
  };
}

/** An http(s) URL, kept without trailing slashes. */
export function httpUrl(): EnvType<string> {
  return {
    describe: 'http(s) URL',
    parse: (value) => {
      try {
        const u = new URL(value);
        if (u.protocol === 'http:' || u.protocol === 'https:') return { value: value.replace(/\/+$/, '') };
      } catch {
        // not a URL at all
      }
      return { error: 'must be an http(s) URL' };
    },
  };
}

/** Text that must match `pattern`; `message` says what it should be (the value is not echoed). */
export function matching(describe: string, pattern: RegExp, message: string): EnvType<string> {
  return { describe, parse: (value) => (pattern.test(value) ? { value } : { error: message }) };
}

/** Any text. */
export function text(describe = 'text'): EnvType<string> {
  return { describe, parse: (value) => ({ value }) };
}

/** An object-name prefix: slashes at either end dropped, no `.`/`..` segments. */
export function objectPrefix(): EnvType<string> {
  return {
    describe: 'path prefix',
    parse: (value) => {
      const prefix = value.replace(/^\/+|\/+$/g, '');
      if (prefix !== '' && !/^[A-Za-z0-9._\-/]+$/.test(prefix)) return { error: 'may hold only letters, digits, ".", "_", "-" and "/"' };
      if (prefix.split('/').some((p) => p === '..' || p === '.')) return { error: 'must not contain "." or ".." segments' };
      return { value: prefix };
    },
  };
}

export interface EnvVar<T, D extends T | null> {
  type: EnvType<T>;
  /** What an unset or empty variable means; null when the code decides (see `defaultDoc`). */
  default: D;
  /** The default as the README shows it, when `default` alone does not say it. */
  defaultDoc?: string;
  /** What it means (README and contract). */
  doc: string;
  /** Who provides it in the cloud, per process that reads it; a process that never reads it is absent. */
  orchestrator?: CloudLevel;
  job?: CloudLevel;
  /** Never logged or echoed; in the cloud only from Secret Manager. */
  secret?: true;
  /** The only value the cloud deployment may give it. */
  cloudValue?: string;
  /** The service and the job must give it the same value. */
  sameInBoth?: true;
  /** Set only by Cloud Run, the image or the orchestrator per execution: listed in the contract, not the README. */
  platform?: true;
}

const v = <T, const D extends T | null>(spec: EnvVar<T, D>): EnvVar<T, D> => spec;

export const DEFAULT_GEMINI_MODEL = 'gemini-2.5-flash';

export const ENV_SCHEMA = {
  PORT: v({ type: integer(0, 65535), default: 8080, orchestrator: 'platform',
    doc: 'Listening port; Cloud Run sets it from containerPort (8080).' }),
  RUN_STORE: v({ type: oneOf(['local', 'gcs'], { exact: true }), default: 'local', orchestrator: 'required', job: 'required', cloudValue: 'gcs', sameInBoth: true,
    doc: 'Run store adapter: local (disk under RUNS_DIR) or gcs.' }),
  RUNS_DIR: v({ type: text('path'), default: null, defaultDoc: './storage', orchestrator: 'local-only', job: 'local-only',
    doc: 'Root folder of the local run store.' }),
  GCS_BUCKET: v({ type: matching('bucket name', /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'is not a valid bucket name'), default: null,
    orchestrator: 'required', job: 'required', sameInBoth: true,
    doc: 'Bucket holding the runs (RUN_STORE=gcs).' }),
  RUNS_PREFIX: v({ type: objectPrefix(), default: '', orchestrator: 'required', job: 'required', sameInBoth: true,
    doc: 'Object-name prefix of every run object; the service accounts\' bucket grant is conditioned on it.' }),
  GCS_API_ENDPOINT: v({ type: httpUrl(), default: null, orchestrator: 'local-only', job: 'local-only',
    doc: 'Storage client apiEndpoint (the GCS emulator).' }),
  GOOGLE_CLOUD_PROJECT: v({ type: text('project id'), default: null, orchestrator: 'required', job: 'required', sameInBoth: true,
    doc: 'Project id for the Google clients.' }),
  JOB_LAUNCHER: v({ type: oneOf(['local', 'cloudrun'], { exact: true }), default: 'local', orchestrator: 'required', cloudValue: 'cloudrun',
    doc: 'How the orchestrator starts executions: local (child process) or cloudrun (JobsClient.runJob).' }),
  CLOUD_RUN_JOB: v({
    type: matching('projects/P/locations/L/jobs/J', /^projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/]+$/, 'must be a full job name: projects/P/locations/L/jobs/J'),
    default: null, orchestrator: 'required', job: 'platform',
    doc: 'Orchestrator: full job name projects/P/locations/R/jobs/J (JOB_LAUNCHER=cloudrun). Inside the job Cloud Run itself sets it (short name).' }),
  CLOUD_RUN_API_ENDPOINT: v({ type: httpUrl(), default: null, orchestrator: 'local-only', job: 'local-only',
    doc: 'Run Admin API endpoint (the Cloud Run stub).' }),
  JOB_MAX_RETRIES: v({ type: integer(0, 10), default: 3, orchestrator: 'local-only', job: 'local-only',
    doc: 'Retries of the local launcher\'s child process; in the cloud the job\'s maxRetries does this.' }),
  LOCAL_JOB_MODE: v({ type: oneOf(['process', 'worker']), default: 'process', orchestrator: 'local-only', job: 'local-only',
    doc: 'Local launcher: process (one job process per execution, as on Cloud Run) or worker (one long-lived job worker runs every execution: no per-run start-up; a crashed worker is replaced and its runs resume by replay).' }),
  PUBSUB_TOPIC: v({
    type: matching('topic name', /^(projects\/[^/]+\/topics\/)?[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/, 'is not a topic name'),
    default: null, defaultDoc: 'off', orchestrator: 'required', job: 'required', sameInBoth: true,
    doc: 'Topic every committed event is published to; empty turns fan-out off.' }),
  PUBSUB_EMULATOR_HOST: v({ type: text('host:port'), default: null, orchestrator: 'local-only', job: 'local-only',
    doc: 'Pub/Sub emulator host.' }),
  API_KEYS: v({ type: text('tenant:key,…'), default: null, defaultDoc: 'local: generated', orchestrator: 'optional', secret: true,
    doc: 'tenant:key pairs, comma-separated. The local mode writes its generated key to <RUNS_DIR>/.local-api-key (mode 0600). The cloud deployment uses API_KEYS_FILE instead; if ever set, only from Secret Manager.' }),
  API_KEYS_FILE: v({ type: text('path'), default: null, orchestrator: 'required',
    doc: 'Path of a file holding the API_KEYS text: the Secret Manager volume mounted by service.yaml.' }),
  LLM_PROVIDER: v({ type: oneOf(['gemini', 'offline'], { exact: true }), default: null, defaultDoc: 'gemini if a key (or RUN_STORE=gcs), else offline',
    orchestrator: 'required', job: 'required', sameInBoth: true,
    doc: 'gemini or offline.' }),
  GEMINI_API_KEY: v({ type: text('key'), default: null, orchestrator: 'required', job: 'required', secret: true,
    doc: 'Gemini key, from Secret Manager pinned to a version. The orchestrator only reports its source (/health) and refuses live runs without it; the job calls Gemini.' }),
  GEMINI_MODEL: v({ type: matching('model id', /^[A-Za-z0-9._-]{1,100}$/, 'is not a model id'), default: DEFAULT_GEMINI_MODEL,
    orchestrator: 'optional', job: 'required', sameInBoth: true,
    doc: 'Model id; ids move between releases, so it lives in config.' }),
  GEMINI_BASE_URL: v({ type: httpUrl(), default: null, orchestrator: 'local-only', job: 'local-only',
    doc: 'Points @google/genai at a stub.' }),
  GEMINI_TIMEOUT_MS: v({ type: integer(100, 3_600_000), default: 120_000, orchestrator: 'optional', job: 'optional',
    doc: 'Deadline of one model call.' }),
  ALLOW_REQUEST_GEMINI_KEY: v({ type: boolean(), default: false, orchestrator: 'required', cloudValue: 'false',
    doc: 'Accept a Gemini key in a request header. Off in the cloud: the key would have to travel to the job.' }),
  OFFLINE_MODEL_LATENCY_MS: v({ type: integer(0, 600_000), default: 0, orchestrator: 'local-only', job: 'local-only',
    doc: 'Latency of the offline model (demos, benchmarks).' }),
  NODE_CONCURRENCY: v({ type: integer(1, 64), default: 4, orchestrator: 'optional', job: 'optional',
    doc: 'Ready nodes run in parallel up to this bound.' }),
  NODE_MAX_ATTEMPTS: v({ type: integer(1, 20), default: 3, orchestrator: 'optional', job: 'optional',
    doc: 'Attempts per node before it fails for good (an operator retry grants a fresh budget).' }),
  NODE_RETRY_BASE_MS: v({ type: integer(0, 600_000), default: 1000, orchestrator: 'optional', job: 'optional',
    doc: 'Base of the exponential backoff with jitter between attempts.' }),
  NODE_TIMEOUT_MS: v({ type: integer(100, 3_600_000), default: 180_000, orchestrator: 'optional',
    doc: 'Time limit of one node attempt, recorded per node in run.created (the job reads it from there): an attempt past it is aborted and fails as a retryable timeout. Above GEMINI_TIMEOUT_MS, so one slow model call fails with its own timeout first.' }),
  RUN_DEADLINE_S: v({ type: integer(0, 604_800), default: 3600, orchestrator: 'optional',
    doc: 'A run not finished this many seconds after it was created fails with code deadline (recorded as run.created.deadlineAt; POST /build may set deadlineSeconds instead). 0: no deadline.' }),
  LEASE_TTL_S: v({ type: integer(1, 3600), default: 30, orchestrator: 'optional', job: 'optional',
    doc: 'Lifetime of a job\'s lease on its run; renewed every third of it, each renewal recorded as execution.heartbeat. An execution whose renewals fail past it stops writing.' }),
  VECTOR_STORE: v({ type: oneOf(['off'], { exact: true }), default: 'off', orchestrator: 'optional', job: 'optional', cloudValue: 'off', sameInBoth: true,
    doc: 'Only off is supported.' }),
  SCENARIOOPS_VERSION: v({ type: text('version'), default: '0.1.0', orchestrator: 'required', job: 'required', sameInBoth: true,
    doc: 'App version recorded in run.json and /health: the image tag.' }),
  SCENARIOOPS_PIPELINE_VERSION: v({ type: text('version'), default: 'v1', orchestrator: 'required', job: 'required', sameInBoth: true,
    doc: 'Pipeline version; part of the dedup signature, so both processes must agree.' }),
  RATE_LIMIT_PER_MINUTE: v({ type: integer(1, 1_000_000), default: 600, orchestrator: 'optional',
    doc: 'Requests per key per minute before 429.' }),
  PUBLIC_BASE_URL: v({ type: httpUrl(), default: null, orchestrator: 'optional',
    doc: 'Absolute base of the links the API returns (a custom domain); without it links follow the request\'s host.' }),
  LOG_LEVEL: v({ type: oneOf(['debug', 'info', 'warn', 'error', 'silent']), default: 'info', orchestrator: 'optional', job: 'optional',
    doc: 'Least severity logged.' }),
  STORAGE_EMULATOR_HOST: v({ type: text('host:port'), default: null, orchestrator: 'local-only', job: 'local-only',
    doc: 'Storage emulator host, the library\'s own variable.' }),
  SCENARIOFORGE_FAILPOINT: v({ type: text('<point>:<n>'), default: null, job: 'local-only',
    doc: 'Crash tests only: <point>:<n> makes the job SIGKILL itself the n-th time it passes that point.' }),
  RECONCILE_INTERVAL_S: v({ type: integer(0, 86_400), default: 30, orchestrator: 'optional',
    doc: 'Seconds between the orchestrator\'s reconcile sweeps of active runs (0 = only at start-up, on POST /internal/reconcile and on reads of a stale run).' }),
  LAUNCH_GRACE_S: v({ type: integer(1, 86_400), default: 60, orchestrator: 'optional',
    doc: 'Seconds an execution may take from its request or launch to its start before the reconciler launches it again (same id).' }),
  RUN_MAX_EXECUTIONS: v({ type: integer(1, 100), default: 3, orchestrator: 'optional',
    doc: 'Executions a run may use since its last operator retry or resume, recoveries included; past it a lost execution fails the run (executions_exhausted).' }),
  RECONCILE_TOKEN: v({ type: matching('token', /^[\x21-\x7e]{16,512}$/, 'must be 16–512 printable characters without spaces'), default: null, orchestrator: 'optional', secret: true,
    doc: 'Bearer token of POST /internal/reconcile (Cloud Scheduler, from Secret Manager); unset, the route answers 404.' }),
  ORCHESTRATOR_FAILPOINT: v({ type: text('<step>:<n>'), default: null, orchestrator: 'local-only',
    doc: 'Crash tests only: <step>:<n> (claimed, indexed, logged, launched) makes the orchestrator SIGKILL itself the n-th time a build passes that step.' }),
  RUN_ID: v({ type: text('run id'), default: null, job: 'override', platform: true,
    doc: 'Run this execution works on; set per execution by the orchestrator (runJob containerOverrides env).' }),
  EXECUTION_ID: v({ type: text('execution id'), default: null, job: 'override', platform: true,
    doc: 'The execution.requested id this execution serves; set per execution by the orchestrator.' }),
  CLOUD_RUN_EXECUTION: v({ type: text('execution name'), default: null, job: 'platform', platform: true,
    doc: 'Cloud Run execution name, recorded on execution.started.' }),
  CLOUD_RUN_TASK_ATTEMPT: v({ type: text('integer'), default: null, job: 'platform', platform: true,
    doc: 'Task attempt (0-based), recorded on execution.started.' }),
  CLOUD_RUN_TASK_INDEX: v({ type: text('integer'), default: null, job: 'platform', platform: true,
    doc: 'Task index (always 0: taskCount 1).' }),
  CLOUD_RUN_TASK_COUNT: v({ type: text('integer'), default: null, job: 'platform', platform: true,
    doc: 'Task count (1).' }),
  K_SERVICE: v({ type: text('name'), default: null, orchestrator: 'platform', platform: true,
    doc: 'Service name, set by Cloud Run.' }),
  K_REVISION: v({ type: text('name'), default: null, orchestrator: 'platform', platform: true,
    doc: 'Revision name, set by Cloud Run.' }),
  K_CONFIGURATION: v({ type: text('name'), default: null, orchestrator: 'platform', platform: true,
    doc: 'Configuration name, set by Cloud Run.' }),
  NODE_ENV: v({ type: text(), default: null, orchestrator: 'image', job: 'image', platform: true,
    doc: 'production, set by the Dockerfiles.' }),
  NODE_OPTIONS: v({ type: text(), default: null, orchestrator: 'image', job: 'image', platform: true,
    doc: '--enable-source-maps, set by the Dockerfiles.' }),
} as const;

export type EnvName = keyof typeof ENV_SCHEMA;
/** The value `readEnvVar` gives for `N`: its type, or null when it has no default. */
export type EnvValue<N extends EnvName> = (typeof ENV_SCHEMA)[N] extends EnvVar<infer T, infer D> ? T | D : never;

/** Every variable either process reads, in declaration order. */
export const ENV_NAMES: readonly EnvName[] = Object.keys(ENV_SCHEMA) as EnvName[];

/** The declaration of `name`, with the type parameters erased (for generators and checks). */
export function envVar(name: EnvName): EnvVar<unknown, unknown> {
  return ENV_SCHEMA[name] as EnvVar<unknown, unknown>;
}
