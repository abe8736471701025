/**
 * The environment of a locally launched job. The child does not inherit this
 * process's env: it gets the configuration it shares with the orchestrator
 * (store, Pub/Sub, model, pipeline), what Node and the Google clients need
 * from the OS, and nothing else — in particular not API_KEYS or the port.
 */
import path from 'node:path';
import type { Config, Env } from '../shared/config.ts';
import { effectiveProvider } from './runs/model-choice.ts';

/** Variables the job reads (DESIGN §8) and passes through unchanged. */
const SHARED = [
  'RUN_STORE', 'GCS_BUCKET', 'RUNS_PREFIX', 'GCS_API_ENDPOINT', 'STORAGE_EMULATOR_HOST', 'GOOGLE_CLOUD_PROJECT',
  'PUBSUB_TOPIC', 'PUBSUB_EMULATOR_HOST', 'GEMINI_API_KEY', 'GEMINI_MODEL', 'GEMINI_BASE_URL', 'GEMINI_TIMEOUT_MS',
  'OFFLINE_MODEL_LATENCY_MS', 'NODE_CONCURRENCY', 'NODE_MAX_ATTEMPTS', 'NODE_RETRY_BASE_MS', 'LEASE_TTL_S', 'VECTOR_STORE',
  'SCENARIOOPS_VERSION', 'SCENARIOOPS_PIPELINE_VERSION', 'LOG_LEVEL',
];

/** What a Node process and the Google client libraries need from the machine. */
const SYSTEM = ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'LC_ALL', 'GOOGLE_APPLICATION_CREDENTIALS', 'CLOUDSDK_CONFIG', 'SSL_CERT_FILE', 'SSL_CERT_DIR'];
const SYSTEM_PREFIXES = ['NODE_'];

export function jobEnvFor(config: Config, source: Env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (SHARED.includes(name) || SYSTEM.includes(name) || SYSTEM_PREFIXES.some((p) => name.startsWith(p))) env[name] = value;
  }
  // Settled by the orchestrator's config, so both processes agree on them.
  env['RUN_STORE'] = config.store.kind;
  if (config.store.kind === 'local') env['RUNS_DIR'] = path.resolve(config.store.dir);
  // Gemini without a key in local mode: the job runs the offline model, as the run's snapshot says.
  env['LLM_PROVIDER'] = effectiveProvider(config);
  env['SCENARIOOPS_PIPELINE_VERSION'] = config.pipelineVersion;
  env['SCENARIOOPS_VERSION'] = config.appVersion;
  return env;
}
