import { expect } from 'chai';
import { ConfigError, loadConfig, type Env } from '../../shared/config.ts';

const BASE: Env = { RUN_STORE: 'local', RUNS_DIR: '/tmp/sf-config-test', API_KEYS: 'acme:acme-key-0001' };

// Every variable the config validates, with a bad value: the error must name it, and only it.
const BAD: [string, Env][] = [
  ['RUN_STORE', { RUN_STORE: 's3' }],
  ['RUN_STORE', { RUN_STORE: ' local' }],
  ['GCS_BUCKET', { RUN_STORE: 'gcs' }],
  ['GCS_BUCKET', { RUN_STORE: 'gcs', GCS_BUCKET: 'Bad_Bucket!' }],
  ['RUNS_PREFIX', { RUNS_PREFIX: 'a/../b' }],
  ['RUNS_PREFIX', { RUNS_PREFIX: 'sp ace' }],
  ['GCS_API_ENDPOINT', { RUN_STORE: 'gcs', GCS_BUCKET: 'runs', GCS_API_ENDPOINT: 'ftp://x' }],
  ['JOB_LAUNCHER', { JOB_LAUNCHER: 'k8s' }],
  ['CLOUD_RUN_JOB', { JOB_LAUNCHER: 'cloudrun' }],
  ['CLOUD_RUN_JOB', { JOB_LAUNCHER: 'cloudrun', CLOUD_RUN_JOB: 'my-job' }],
  ['CLOUD_RUN_API_ENDPOINT', { JOB_LAUNCHER: 'cloudrun', CLOUD_RUN_JOB: 'projects/p/locations/l/jobs/j', CLOUD_RUN_API_ENDPOINT: 'nope' }],
  ['JOB_MAX_RETRIES', { JOB_MAX_RETRIES: '11' }],
  ['JOB_MAX_RETRIES', { JOB_MAX_RETRIES: 'three' }],
  ['LOCAL_JOB_MODE', { LOCAL_JOB_MODE: 'threads' }],
  ['API_KEYS', { API_KEYS: 'no-colon-here' }],
  ['API_KEYS', { API_KEYS: 'acme:short' }],
  ['API_KEYS', { API_KEYS: 'acme:acme-key-0001,other:acme-key-0001' }],
  ['API_KEYS', { RUN_STORE: 'gcs', GCS_BUCKET: 'runs', API_KEYS: '' }],
  ['API_KEYS_FILE', { API_KEYS: '', API_KEYS_FILE: '/nonexistent/keys' }],
  ['API_KEYS_FILE', { API_KEYS_FILE: '/etc/hostname' }],
  ['LLM_PROVIDER', { LLM_PROVIDER: 'openai' }],
  ['GEMINI_MODEL', { GEMINI_MODEL: 'gemini/../../x' }],
  ['GEMINI_BASE_URL', { GEMINI_BASE_URL: 'javascript:alert(1)' }],
  ['GEMINI_TIMEOUT_MS', { GEMINI_TIMEOUT_MS: '5' }],
  ['ALLOW_REQUEST_GEMINI_KEY', { ALLOW_REQUEST_GEMINI_KEY: 'maybe' }],
  ['OFFLINE_MODEL_LATENCY_MS', { OFFLINE_MODEL_LATENCY_MS: '-1' }],
  ['NODE_CONCURRENCY', { NODE_CONCURRENCY: '0' }],
  ['NODE_MAX_ATTEMPTS', { NODE_MAX_ATTEMPTS: '1.5' }],
  ['NODE_RETRY_BASE_MS', { NODE_RETRY_BASE_MS: 'soon' }],
  ['VECTOR_STORE', { VECTOR_STORE: 'pgvector' }],
  ['PUBSUB_TOPIC', { PUBSUB_TOPIC: 'a b' }],
  ['PORT', { PORT: '70000' }],
  ['RATE_LIMIT_PER_MINUTE', { RATE_LIMIT_PER_MINUTE: '0' }],
  ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'not a url' }],
  ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
  ['NODE_TIMEOUT_MS', { NODE_TIMEOUT_MS: '50' }],
  ['NODE_TIMEOUT_MS', { NODE_TIMEOUT_MS: 'forever' }],
  ['RUN_DEADLINE_S', { RUN_DEADLINE_S: '-1' }],
  ['RUN_DEADLINE_S', { RUN_DEADLINE_S: '604801' }],
  ['LEASE_TTL_S', { LEASE_TTL_S: '0' }],
  ['RECONCILE_INTERVAL_S', { RECONCILE_INTERVAL_S: '1.5' }],
  ['LAUNCH_GRACE_S', { LAUNCH_GRACE_S: '0' }],
  ['RUN_MAX_EXECUTIONS', { RUN_MAX_EXECUTIONS: '0' }],
  ['RUN_MAX_EXECUTIONS', { RUN_MAX_EXECUTIONS: '101' }],
  ['RECONCILE_TOKEN', { RECONCILE_TOKEN: 'short token' }],
];

describe('config: one error naming the variable', () => {
  it('accepts the embedded default and a full cloud configuration', () => {
    expect(loadConfig(BASE).store.kind).to.equal('local');
    const cloud = loadConfig({
      RUN_STORE: 'gcs', GCS_BUCKET: 'sf-runs', RUNS_PREFIX: 'prod', JOB_LAUNCHER: 'cloudrun',
      CLOUD_RUN_JOB: 'projects/p/locations/europe-west1/jobs/sf', PUBSUB_TOPIC: 'run-progress', API_KEYS: 'acme:acme-key-0001', GEMINI_API_KEY: 'k',
    });
    expect(cloud).to.deep.include({ pubsubTopic: 'run-progress' });
    expect(cloud.llm.provider).to.equal('gemini');
  });

  for (const [variable, env] of BAD) {
    it(`${variable}=${JSON.stringify(Object.values(env).at(-1))} → ConfigError naming ${variable}`, () => {
      let error: unknown = null;
      try {
        loadConfig({ ...BASE, ...env });
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).variable).to.equal(variable);
      expect((error as ConfigError).message.startsWith(`${variable}: `)).to.equal(true);
      expect((error as ConfigError).message).to.not.include('\n');
      expect((error as ConfigError).message, 'a key is never echoed').to.not.include('acme-key-0001');
    });
  }

  it('the job does not read API keys at all (least privilege)', () => {
    expect(loadConfig({ RUN_STORE: 'gcs', GCS_BUCKET: 'sf-runs', API_KEYS: 'garbage' }, 'job').apiKeys.size).to.equal(0);
  });
});
