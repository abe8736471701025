/**
 * POST /build over real HTTP: atomic dedup (local disk and GCS via the
 * emulator), normalisation, force, delete-then-rebuild, the claim window,
 * launch failures, and where the Gemini key may come from.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { project, type RunState } from '../../shared/domain/run-state.ts';
import { decideAndAppend } from '../../shared/run-log/decide-and-append.ts';
import { getGcsRunStore } from '../../shared/store/gcs-run-store.ts';
import { keys } from '../../shared/store/keys.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { LaunchError, type LaunchRequest } from '../../orchestrator/launchers/job-launcher.ts';
import { buildSignature } from '../../orchestrator/runs/build.ts';
import { startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator.ts';
import {
  build, call, hashTree, KEYS, listen, logBytes, PARAMS, recordingLauncher, testConfig,
  type BuildReply, type RecordingLauncher, type Running,
} from '../support/orchestrator.ts';
import { ctx } from '../support/runs.ts';
import { tempDir } from '../support/temp-dir.ts';

async function runJson(base: string, runId: string): Promise<RunState> {
  const r = await call<RunState>(base, 'GET', `/runs/${runId}/run.json`);
  expect(r.status).to.equal(200);
  return r.body;
}

async function listedRunIds(store: RunStore, tenant: string): Promise<string[]> {
  return (await store.listRuns(tenant, { limit: 1000 })).runIds;
}

function expectOneRun(replies: { status: number; body: BuildReply }[]): string {
  const ids = new Set(replies.map((r) => r.body.runId));
  expect(ids.size, 'every reply names the same run').to.equal(1);
  expect(replies.filter((r) => r.status === 202)).to.have.length(1);
  const reused = replies.filter((r) => r.status === 200);
  expect(reused).to.have.length(replies.length - 1);
  for (const r of reused) expect(r.body.reused).to.equal(true);
  return [...ids][0] as string;
}

describe('orchestrator: POST /build', function () {
  this.timeout(30_000);

  describe('on the local store', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    let store: RunStore;
    let launcher: RecordingLauncher;
    let server: Running;

    beforeEach(async () => {
      ({ dir, cleanup } = await tempDir('sf-orch-build-'));
      store = getLocalRunStore(dir);
      launcher = recordingLauncher();
      server = await listen({ config: testConfig(dir), store, launcher, claimWaitMs: 300 });
    });
    afterEach(async () => {
      await server.close();
      await cleanup();
    });

    it('creates a run: 202 with links, the first execution launched and recorded in run.json', async () => {
      const r = await build(server.url, KEYS.acme, { params: PARAMS, label: 'grid' });
      expect(r.status).to.equal(202);
      expect(r.body).to.include({ reused: false, status: 'queued' });
      expect(r.body.links).to.deep.equal({
        ui: `${server.url}/runs/${r.body.runId}`,
        runJson: `${server.url}/runs/${r.body.runId}/run.json`,
        events: `${server.url}/runs/${r.body.runId}/events`,
      });
      expect(r.headers.get('location')).to.equal(r.body.links.ui);
      expect(launcher.requests).to.have.length(1);
      const state = await runJson(server.url, r.body.runId);
      expect(state).to.include({ runId: r.body.runId, tenant: 'acme', label: 'grid', status: 'queued', pipelineVersion: 'v1' });
      expect(state.signature).to.equal(buildSignature('acme', 'v1', PARAMS));
      expect(state.llm).to.deep.equal({ provider: 'offline', model: 'offline-library-v1', keySource: 'none', keyFingerprint: null });
      expect(Object.keys(state.nodes)).to.have.length(12);
      expect(state.nodes['charter']?.maxAttempts).to.equal(3);
      expect(state.executions).to.have.length(1);
      expect(state.executions[0]).to.include({ id: launcher.requests[0]?.executionId, reason: 'build', launchedAs: 'test/executions/e-1' });
      expect(await listedRunIds(store, 'acme')).to.deep.equal([r.body.runId]);
    });

    it('records the run deadline: RUN_DEADLINE_S by default, the build\'s deadlineSeconds when given; node time limits from NODE_TIMEOUT_MS', async () => {
      const byDefault = await build(server.url, KEYS.acme, { params: PARAMS });
      const chosen = await build(server.url, KEYS.acme, { params: { ...PARAMS, company: 'Acme Rail' }, deadlineSeconds: 90 });
      const stateOf = async (runId: string) => project((await store.readLog(runId)).events);
      const a = await stateOf(byDefault.body.runId);
      const b = await stateOf(chosen.body.runId);
      // Counted from the build's instant, which precedes run.created's by the time the append takes.
      expect(Date.parse(a.deadlineAt ?? '') - Date.parse(a.createdAt)).to.be.closeTo(testConfig(dir).runDeadlineS * 1000, 1000);
      expect(Date.parse(b.deadlineAt ?? '') - Date.parse(b.createdAt)).to.be.closeTo(90_000, 1000);
      expect(Object.values(a.nodes).every((n) => n.timeoutMs === testConfig(dir).nodeTimeoutMs)).to.equal(true);
    });

    it('50 concurrent identical builds make exactly one run; the other 49 are reused', async () => {
      const replies = await Promise.all(Array.from({ length: 50 }, () => build(server.url, KEYS.acme, { params: PARAMS })));
      const runId = expectOneRun(replies);
      expect(launcher.requests.map((r) => r.runId)).to.deep.equal([runId]);
      expect(await listedRunIds(store, 'acme')).to.deep.equal([runId]);
      const runDirs = [...(await hashTree(dir)).keys()].filter((p) => p.endsWith('events.jsonl'));
      expect(runDirs).to.deep.equal([`runs/${runId}/events.jsonl`]);
    });

    it('normalises params before signing: trimmed strings and NFC spellings reuse the run; different params make another', async () => {
      const first = await build(server.url, KEYS.acme, { params: { ...PARAMS, company: 'Café Grid' } });
      expect(first.status).to.equal(202);
      const spaced = await build(server.url, KEYS.acme, { params: { ...PARAMS, company: '  Cafe\u0301 Grid ' } });
      expect(spaced.status).to.equal(200);
      expect(spaced.body).to.include({ runId: first.body.runId, reused: true });
      const other = await build(server.url, KEYS.acme, { params: { ...PARAMS, company: 'Café Grid', horizonYear: 2040 } });
      expect(other.status).to.equal(202);
      expect(other.body.runId).not.to.equal(first.body.runId);
      // Another tenant with the same params gets its own run.
      const globex = await build(server.url, KEYS.globex, { params: { ...PARAMS, company: 'Café Grid' } });
      expect(globex.status).to.equal(202);
      expect(globex.body.runId).not.to.equal(first.body.runId);
    });

    it('force: true makes a new run that now owns the claim', async () => {
      const first = await build(server.url, KEYS.acme, { params: PARAMS });
      const forced = await build(server.url, KEYS.acme, { params: PARAMS, force: true });
      expect(forced.status).to.equal(202);
      expect(forced.body.reused).to.equal(false);
      expect(forced.body.runId).not.to.equal(first.body.runId);
      const again = await build(server.url, KEYS.acme, { params: PARAMS });
      expect(again.status).to.equal(200);
      expect(again.body.runId).to.equal(forced.body.runId);
      expect((await store.readClaim('acme', buildSignature('acme', 'v1', PARAMS)))?.runId).to.equal(forced.body.runId);
      // Both runs stay listed, newest first.
      expect(await listedRunIds(store, 'acme')).to.deep.equal([forced.body.runId, first.body.runId]);
    });

    it('delete: the run leaves GET /runs, run.json answers 410, the same params build a new run; delete twice is 404', async () => {
      const first = await build(server.url, KEYS.acme, { params: PARAMS });
      const del = await call(server.url, 'DELETE', `/runs/${first.body.runId}`, { key: KEYS.acme });
      expect(del.status).to.equal(200);
      expect(del.body).to.deep.equal({ runId: first.body.runId, deleted: true });

      const list = await call<{ runs: { runId: string }[] }>(server.url, 'GET', '/runs', { key: KEYS.acme });
      expect(list.body.runs.map((r) => r.runId)).not.to.include(first.body.runId);
      const gone = await call(server.url, 'GET', `/runs/${first.body.runId}/run.json`);
      expect([404, 410]).to.include(gone.status);
      expect((await call(server.url, 'GET', `/runs/${first.body.runId}`)).status).to.equal(404);
      expect((await call(server.url, 'GET', `/runs/${first.body.runId}/events`)).status).to.be.oneOf([404, 410]);
      expect(await store.readClaim('acme', buildSignature('acme', 'v1', PARAMS))).to.equal(null);

      const second = await build(server.url, KEYS.acme, { params: PARAMS });
      expect(second.status).to.equal(202);
      expect(second.body.runId).not.to.equal(first.body.runId);

      const twice = await call<BuildReply>(server.url, 'DELETE', `/runs/${first.body.runId}`, { key: KEYS.acme });
      expect(twice.status).to.equal(404);
      expect(twice.body.error?.message).to.match(/deleted/);
      // Nothing was erased: the deleted run's log is still there, ending in run.deleted.
      expect((await store.readLog(first.body.runId)).events.at(-1)?.type).to.equal('run.deleted');
    });

    it('a claim left on a deleted run (its release never happened) is replaced under its generation', async () => {
      const first = await build(server.url, KEYS.acme, { params: PARAMS });
      // Delete in the log only, as if the orchestrator died before releasing the claim.
      await decideAndAppend(store, first.body.runId, [{ type: 'DeleteRun', by: 'acme' }], ctx);
      const replies = await Promise.all(Array.from({ length: 10 }, () => build(server.url, KEYS.acme, { params: PARAMS })));
      const runId = expectOneRun(replies);
      expect(runId).not.to.equal(first.body.runId);
      expect((await store.readClaim('acme', buildSignature('acme', 'v1', PARAMS)))?.runId).to.equal(runId);
    });

    it('a claim whose run never appeared (the claimant died) is adopted: the run is created under the claimed id, once', async () => {
      const orphan = uuidv7();
      expect(await store.createClaim('acme', buildSignature('acme', 'v1', PARAMS), orphan)).to.equal(true);
      const replies = await Promise.all(Array.from({ length: 10 }, () => build(server.url, KEYS.acme, { params: PARAMS })));
      expect(expectOneRun(replies)).to.equal(orphan);
      expect(launcher.requests.map((r) => r.runId)).to.deep.equal([orphan]);
      expect((await runJson(server.url, orphan)).status).to.equal('queued');
    });

    it('a launch that fails leaves the run queued with a warning; resume launches it', async () => {
      launcher.failures.push(new LaunchError('runJob failed: UNAVAILABLE', { retryable: true, code: 'UNAVAILABLE' }));
      const r = await build(server.url, KEYS.acme, { params: PARAMS });
      expect(r.status).to.equal(202);
      expect(r.body.status).to.equal('queued');
      expect(r.body.warnings?.join(' ')).to.match(/UNAVAILABLE.*resume/);
      let state = await runJson(server.url, r.body.runId);
      expect(state.executions).to.have.length(1);
      expect(state.executions[0]?.launchedAs).to.equal(null);

      const resumed = await call<{ executionId: string }>(server.url, 'POST', `/runs/${r.body.runId}/resume`, { key: KEYS.acme });
      expect(resumed.status).to.equal(202);
      state = await runJson(server.url, r.body.runId);
      expect(state.executions.map((e) => [e.reason, e.launchedAs])).to.deep.equal([['build', null], ['resume', 'test/executions/e-1']]);
      expect(launcher.requests).to.deep.equal([{ runId: r.body.runId, executionId: resumed.body.executionId }]);
    });
  });

  describe('on GCS (the real client against the emulator)', () => {
    let emulator: GcsEmulator;
    let server: Running | null = null;
    let bucketN = 0;
    before(async () => {
      emulator = await startGcsEmulator();
    });
    after(async () => emulator.stop());
    afterEach(async () => {
      await server?.close();
      server = null;
    });

    const gcs = (env: Record<string, string> = {}) => {
      const bucket = `orch-${++bucketN}`;
      const config = testConfig('/nonexistent', { RUN_STORE: 'gcs', GCS_BUCKET: bucket, RUNS_PREFIX: 'sf', GCS_API_ENDPOINT: emulator.url, LLM_PROVIDER: 'offline', ...env });
      const store = getGcsRunStore({ bucket, prefix: 'sf', apiEndpoint: emulator.url, projectId: 'test' });
      return { bucket, config, store };
    };

    it('50 concurrent identical builds make exactly one run', async () => {
      const { config, store } = gcs();
      const launcher = recordingLauncher('cloudrun');
      server = await listen({ config, store, launcher });
      const replies = await Promise.all(Array.from({ length: 50 }, () => build(server!.url, KEYS.acme, { params: PARAMS })));
      const runId = expectOneRun(replies);
      expect(launcher.requests.map((r: LaunchRequest) => r.runId)).to.deep.equal([runId]);
      expect(await listedRunIds(store, 'acme')).to.deep.equal([runId]);
      const logs = emulator.listNames(config.store.kind === 'gcs' ? config.store.bucket : '').filter((n) => n.endsWith('/events.jsonl'));
      expect(logs).to.deep.equal([`sf/${keys.events(runId)}`]);
      expect((await call<RunState>(server.url, 'GET', `/runs/${runId}/run.json`)).body.executions[0]?.launchedAs).to.equal('test/executions/e-1');
    });

    it('cloud mode with LLM_PROVIDER=gemini and no key: 503 naming the missing key, and nothing is written', async () => {
      const { bucket, config, store } = gcs({ LLM_PROVIDER: 'gemini' });
      server = await listen({ config, store, launcher: recordingLauncher('cloudrun') });
      const r = await build(server.url, KEYS.acme, { params: PARAMS });
      expect(r.status).to.equal(503);
      expect(r.body.error?.message).to.match(/GEMINI_API_KEY/);
      expect(emulator.listNames(bucket)).to.deep.equal([]);
      const health = await call(server.url, 'GET', '/health');
      expect(health.body).to.include({ llm_provider: 'gemini', api_key_source: 'none', storage_backend: 'gcs' });
    });
  });

  describe('the Gemini key', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    let server: Running | null = null;
    beforeEach(async () => {
      ({ dir, cleanup } = await tempDir('sf-orch-key-'));
    });
    afterEach(async () => {
      await server?.close();
      server = null;
      await cleanup();
    });

    it('from the request header, when allowed and local: handed to that job\'s env only; the log keeps source and fingerprint', async () => {
      const store = getLocalRunStore(dir);
      const keyed: { req: LaunchRequest; env: Record<string, string> }[] = [];
      const launcher = recordingLauncher();
      server = await listen({
        config: testConfig(dir, { LLM_PROVIDER: 'gemini', ALLOW_REQUEST_GEMINI_KEY: 'true' }),
        store,
        launcher,
        launchWithEnv: async (req, env) => {
          keyed.push({ req, env });
          return { backend: 'local', name: 'local/executions/keyed' };
        },
      });
      const secret = 'AIzaSy-test-header-key-0123456789';
      const r = await build(server.url, KEYS.acme, { params: PARAMS }, { 'x-gemini-api-key': secret });
      expect(r.status).to.equal(202);
      expect(keyed).to.have.length(1);
      expect(keyed[0]?.env).to.deep.equal({ GEMINI_API_KEY: secret, LLM_PROVIDER: 'gemini' });
      expect(launcher.requests).to.have.length(0);
      const state = await runJson(server.url, r.body.runId);
      expect(state.llm).to.include({ provider: 'gemini', keySource: 'header' });
      expect(state.llm?.keyFingerprint).to.match(/^sha256:[0-9a-f]{8}$/);
      const everything = [...(await hashTree(dir)).keys()];
      for (const file of everything) {
        const { readFile } = await import('node:fs/promises');
        expect(await readFile(`${dir}/${file}`, 'utf8'), file).not.to.include(secret);
      }
      expect(await logBytes(store, r.body.runId)).to.include('"keySource":"header"');
      const health = await call(server.url, 'GET', '/health', { headers: { 'x-gemini-api-key': secret } });
      expect(health.body).to.include({ api_key_source: 'header' });
      expect(health.text).not.to.include(secret);
    });

    it('refused with 400 naming the header when not allowed, or with the Cloud Run launcher; nothing written', async () => {
      const store = getLocalRunStore(dir);
      server = await listen({ config: testConfig(dir), store, launcher: recordingLauncher() });
      const before = await hashTree(dir);
      const r = await build(server.url, KEYS.acme, { params: PARAMS }, { 'x-gemini-api-key': 'AIzaSy-test-header-key' });
      expect(r.status).to.equal(400);
      expect(r.body.error?.details?.[0]?.field).to.equal('X-Gemini-Api-Key');
      await server.close();

      server = await listen({ config: testConfig(dir, { ALLOW_REQUEST_GEMINI_KEY: 'true' }), store, launcher: recordingLauncher('cloudrun') });
      const cloud = await build(server.url, KEYS.acme, { params: PARAMS }, { 'x-gemini-api-key': 'AIzaSy-test-header-key' });
      expect(cloud.status).to.equal(400);
      expect(cloud.body.error?.message).to.match(/local job launcher/);
      expect(await hashTree(dir)).to.deep.equal(before);
    });

    it('local mode with LLM_PROVIDER=gemini and no key runs offline and says so', async () => {
      const store = getLocalRunStore(dir);
      server = await listen({ config: testConfig(dir, { LLM_PROVIDER: 'gemini' }), store, launcher: recordingLauncher() });
      const r = await build(server.url, KEYS.acme, { params: PARAMS });
      expect(r.status).to.equal(202);
      expect(r.body.warnings?.[0]).to.match(/offline model/);
      expect((await runJson(server.url, r.body.runId)).llm?.provider).to.equal('offline');
      expect((await call(server.url, 'GET', '/health')).body).to.include({ llm_provider: 'offline', api_key_source: 'none' });
    });

    it('with GEMINI_API_KEY in env: keySource env, the key itself nowhere in the answer or the log', async () => {
      const store = getLocalRunStore(dir);
      const secret = 'AIzaSy-env-key-abcdefghijklmnop';
      server = await listen({ config: testConfig(dir, { GEMINI_API_KEY: secret }), store, launcher: recordingLauncher() });
      const r = await build(server.url, KEYS.acme, { params: PARAMS });
      expect(r.status).to.equal(202);
      const state = await runJson(server.url, r.body.runId);
      expect(state.llm).to.include({ provider: 'gemini', keySource: 'env', model: 'gemini-2.5-flash' });
      expect(await logBytes(store, r.body.runId)).not.to.include(secret);
      const health = await call(server.url, 'GET', '/health');
      expect(health.body).to.include({ api_key_source: 'env', llm_provider: 'gemini' });
      expect(health.text).not.to.include(secret);
    });
  });
});
