/**
 * The auth matrix — {no key, unknown key, other tenant's key, owner's key} ×
 * {build, list, read run, read artifact, retry, resume, cancel, delete} —
 * with the run's log byte-identical after every refused call (and the whole
 * store too); bearer keys; the per-key rate limit.
 */
import { expect } from 'chai';
import { LaunchError } from '../../orchestrator/launchers/job-launcher.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { decideAndAppend } from '../../shared/run-log/decide-and-append.ts';
import { build, call, hashTree, KEYS, listen, logBytes, PARAMS, recordingLauncher, testConfig, type RecordingLauncher, type Running } from '../support/orchestrator.ts';
import { ctx } from '../support/runs.ts';
import { tempDir } from '../support/temp-dir.ts';

type Who = 'none' | 'unknown' | 'other' | 'owner';
type Op = 'build' | 'list' | 'read run' | 'read artifact' | 'retry' | 'resume' | 'cancel' | 'delete';

const KEY_OF: Record<Who, string | undefined> = { none: undefined, unknown: 'not-a-key-at-all-123', other: KEYS.globex, owner: KEYS.acme };

/** Expected status per cell. The owner's column runs last in each row, in this order, so each call is legal. */
const EXPECTED: Record<Op, Record<Who, number>> = {
  build: { none: 401, unknown: 401, other: 202, owner: 200 },
  list: { none: 401, unknown: 401, other: 200, owner: 200 },
  'read run': { none: 200, unknown: 200, other: 200, owner: 200 },
  'read artifact': { none: 200, unknown: 200, other: 200, owner: 200 },
  retry: { none: 401, unknown: 401, other: 404, owner: 202 },
  resume: { none: 401, unknown: 401, other: 404, owner: 202 },
  cancel: { none: 401, unknown: 401, other: 404, owner: 202 },
  delete: { none: 401, unknown: 401, other: 404, owner: 200 },
};

describe('orchestrator: auth', function () {
  this.timeout(30_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: RunStore;
  let launcher: RecordingLauncher;
  let server: Running;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('sf-orch-auth-'));
    store = getLocalRunStore(dir);
    launcher = recordingLauncher();
  });
  afterEach(async () => {
    await server.close();
    await cleanup();
  });

  it('the matrix: every cell as expected; a refused call leaves the log (and the store) byte-identical', async () => {
    server = await listen({ config: testConfig(dir), store, launcher });
    // The run: charter succeeded with an artifact, then cancelled, so the owner may retry a node.
    const built = await build(server.url, KEYS.acme, { params: PARAMS });
    const runId = built.body.runId;
    const executionId = launcher.requests[0]?.executionId ?? '';
    const artifact = await store.putArtifact(runId, 'charter.json', '{"charter":true}\n', 'application/json');
    await decideAndAppend(store, runId, [
      { type: 'StartExecution', executionId },
      { type: 'StartAttempt', node: 'charter', executionId },
      { type: 'SucceedAttempt', node: 'charter', attempt: 1, durationMs: 3, artifacts: [artifact] },
      { type: 'FinishExecution', executionId, outcome: 'interrupted' },
      { type: 'RequestCancel', by: 'acme' },
    ], ctx);
    // Settle run.json, so that only a write by a call under test can change the store.
    expect((await call(server.url, 'GET', `/runs/${runId}/run.json`)).body).to.include({ status: 'cancelled' });

    const request = (op: Op, key: string | undefined) => {
      switch (op) {
        case 'build': return call(server.url, 'POST', '/build', { key, body: { params: PARAMS } });
        case 'list': return call<{ runs: { runId: string }[] }>(server.url, 'GET', '/runs', { key });
        case 'read run': return call(server.url, 'GET', `/runs/${runId}/run.json`, { key });
        case 'read artifact': return call(server.url, 'GET', `/runs/${runId}/artifacts/charter.json`, { key });
        case 'retry': return call(server.url, 'POST', `/runs/${runId}/nodes/drivers/retry`, { key });
        case 'resume': return call(server.url, 'POST', `/runs/${runId}/resume`, { key });
        case 'cancel': return call(server.url, 'POST', `/runs/${runId}/cancel`, { key });
        case 'delete': return call(server.url, 'DELETE', `/runs/${runId}`, { key });
      }
    };

    const failures: string[] = [];
    for (const op of Object.keys(EXPECTED) as Op[]) {
      for (const who of ['none', 'unknown', 'other', 'owner'] as Who[]) {
        const logBefore = await logBytes(store, runId);
        const treeBefore = await hashTree(dir);
        // The retry's execution is never launched, so the owner's resume after it finds a stalled run
        // (a resume beside an execution that may still start is a 409).
        if (op === 'retry' && who === 'owner') launcher.failures.push(new LaunchError('runJob failed: UNAVAILABLE', { retryable: true, code: 'UNAVAILABLE' }));
        const r = await request(op, KEY_OF[who]);
        const expected = EXPECTED[op][who];
        if (r.status !== expected) failures.push(`${op} × ${who}: ${r.status}, expected ${expected} (${r.text.slice(0, 120)})`);
        const refused = r.status >= 400;
        if (refused) {
          expect(await logBytes(store, runId), `${op} × ${who}: the log is unchanged`).to.equal(logBefore);
          expect(await hashTree(dir), `${op} × ${who}: the store is unchanged`).to.deep.equal(treeBefore);
          expect(r.body, `${op} × ${who}: a JSON error`).to.have.nested.property('error.code');
        }
        if (r.status === 401) expect(r.headers.get('www-authenticate')).to.match(/^Bearer/);
        if (op === 'list' && r.status === 200) {
          const listed = (r.body as { runs: { runId: string }[] }).runs.map((x) => x.runId);
          if (who === 'other') expect(listed).not.to.include(runId);
          if (who === 'owner') expect(listed).to.include(runId);
        }
      }
    }
    expect(failures).to.deep.equal([]);
    // The other tenant's build made its own run, never touching the owner's.
    const globex = await call<{ runs: { runId: string }[] }>(server.url, 'GET', '/runs', { key: KEYS.globex });
    expect(globex.body.runs).to.have.length(1);
    expect(globex.body.runs[0]?.runId).not.to.equal(runId);
    // The owner's calls did land: retry, resume, cancel, delete, in that order.
    const types = (await store.readLog(runId)).events.map((e) => e.type);
    expect(types.slice(-8)).to.deep.equal([
      'node.retry.requested', 'execution.requested',
      'execution.finished', 'execution.requested', 'execution.launched',
      'run.cancel.requested', 'run.cancelled',
      'run.deleted',
    ]);
    expect(await store.readRawLog(runId)).to.not.equal(null);
  });

  it('keys work as Authorization: Bearer too; a wrong bearer is 401', async () => {
    server = await listen({ config: testConfig(dir), store, launcher });
    const ok = await call(server.url, 'GET', '/runs', { headers: { authorization: `Bearer ${KEYS.acme}` } });
    expect(ok.status).to.equal(200);
    const lower = await call(server.url, 'GET', '/runs', { headers: { authorization: `bearer ${KEYS.globex}` } });
    expect(lower.status).to.equal(200);
    for (const authorization of ['Bearer nope-nope-nope', `Basic ${KEYS.acme}`, 'Bearer', `Bearer ${KEYS.acme}x`, `Bearer ${KEYS.acme.slice(0, -1)}`]) {
      const r = await call<{ error: { code: string } }>(server.url, 'GET', '/runs', { headers: { authorization } });
      expect(r.status, authorization).to.equal(401);
      expect(r.body.error.code).to.equal('unauthenticated');
    }
  });

  it('rate limit per key: 429 with Retry-After past RATE_LIMIT_PER_MINUTE; other keys unaffected; public reads unlimited', async () => {
    server = await listen({ config: testConfig(dir, { RATE_LIMIT_PER_MINUTE: '5' }), store, launcher });
    for (let i = 0; i < 5; i++) expect((await call(server.url, 'GET', '/runs', { key: KEYS.acme })).status).to.equal(200);
    const limited = await call<{ error: { code: string } }>(server.url, 'GET', '/runs', { key: KEYS.acme });
    expect(limited.status).to.equal(429);
    expect(limited.body.error.code).to.equal('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
    expect((await call(server.url, 'POST', '/build', { key: KEYS.acme, body: { params: PARAMS } })).status).to.equal(429);
    expect((await call(server.url, 'GET', '/runs', { key: KEYS.globex })).status).to.equal(200);
    for (let i = 0; i < 10; i++) expect((await call(server.url, 'GET', '/health')).status).to.equal(200);
  });
});
