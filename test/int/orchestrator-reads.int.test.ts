/**
 * The read side over real HTTP: run.json (ETag, 304, a stale projection
 * rebuilt), the log as JSONL, artifacts (only listed ones, safe headers),
 * the seed aliases, listing and /latest, /health, the OpenAPI document
 * against the real routes, and security headers.
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import type { Express } from 'express';
import { v7 as uuidv7 } from 'uuid';
import { newEvent, parseEventLine } from '../../shared/domain/events.ts';
import type { RunState } from '../../shared/domain/run-state.ts';
import { silentLogger } from '../../shared/logger.ts';
import { decideAndAppend } from '../../shared/run-log/decide-and-append.ts';
import { keys } from '../../shared/store/keys.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { createApp } from '../../orchestrator/app.ts';
import { OPERATIONS, toOpenApiPath } from '../../orchestrator/openapi.ts';
import { build, call, KEYS, listen, rawCall, PARAMS, recordingLauncher, testConfig, type RecordingLauncher, type Running } from '../support/orchestrator.ts';
import { ctx, runOfflineInProcess } from '../support/runs.ts';
import { tempDir } from '../support/temp-dir.ts';

async function executeInProcess(store: RunStore, runId: string, executionId: string): Promise<void> {
  const result = await runOfflineInProcess(store, runId, executionId);
  expect(result.outcome).to.equal('succeeded');
}

/** Every route Express has: method and path, found by walking the router stacks. */
function expressRoutes(app: Express): string[] {
  const out: string[] = [];
  interface Layer { route?: { path: unknown; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } }
  const walk = (stack: Layer[]): void => {
    for (const layer of stack) {
      if (layer.route && typeof layer.route.path === 'string') {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push(`${method.toUpperCase()} ${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...new Set(out)].sort();
}

describe('orchestrator: reads', function () {
  this.timeout(30_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: RunStore;
  let launcher: RecordingLauncher;
  let server: Running;
  /** A finished run with artifacts, shared by the read-only tests. */
  let done: { runId: string; state: RunState };

  before(async () => {
    ({ dir, cleanup } = await tempDir('sf-orch-reads-'));
    store = getLocalRunStore(dir);
    launcher = recordingLauncher();
    server = await listen({ config: testConfig(dir), store, launcher });
    const r = await build(server.url, KEYS.acme, { params: PARAMS });
    await executeInProcess(store, r.body.runId, launcher.requests[0]?.executionId ?? '');
    const state = (await call<RunState>(server.url, 'GET', `/runs/${r.body.runId}/run.json`)).body;
    expect(state.status).to.equal('succeeded');
    done = { runId: r.body.runId, state };
  });
  after(async () => {
    await server.close();
    await cleanup();
  });

  describe('run.json', () => {
    it('is the fold of the log, with ETag "<lastSeq>" and 304 on If-None-Match', async () => {
      const r = await call<RunState>(server.url, 'GET', `/runs/${done.runId}/run.json`);
      expect(r.status).to.equal(200);
      expect(r.headers.get('etag')).to.equal(`"${r.body.lastSeq}"`);
      expect(r.headers.get('content-type')).to.match(/^application\/json/);
      const stored = await store.readProjection(done.runId);
      expect(r.text).to.equal(stored?.toString('utf8'));
      const again = await call(server.url, 'GET', `/runs/${done.runId}/run.json`, { headers: { 'if-none-match': `"${r.body.lastSeq}"` } });
      expect(again.status).to.equal(304);
      expect(again.text).to.equal('');
      const stale = await call(server.url, 'GET', `/runs/${done.runId}/run.json`, { headers: { 'if-none-match': '"1"' } });
      expect(stale.status).to.equal(200);
    });

    it('a run.json behind its log is rebuilt from the log and written back before it is served', async () => {
      const r = await build(server.url, KEYS.acme, { params: { ...PARAMS, horizonYear: 2050 } });
      const before = JSON.parse((await store.readProjection(r.body.runId))?.toString('utf8') ?? '{}') as RunState;
      // An append that nobody projected (as if the writer died right after it).
      await store.append(r.body.runId, [newEvent('run.cancel.requested', { by: 'test' }, uuidv7(), new Date().toISOString())]);
      const served = await call<RunState>(server.url, 'GET', `/runs/${r.body.runId}/run.json`);
      expect(served.body.lastSeq).to.equal(before.lastSeq + 1);
      expect(served.body.cancelRequested).to.equal(true);
      expect(served.headers.get('etag')).to.equal(`"${before.lastSeq + 1}"`);
      const rewritten = JSON.parse((await store.readProjection(r.body.runId))?.toString('utf8') ?? '{}') as RunState;
      expect(rewritten.lastSeq).to.equal(before.lastSeq + 1);
    });

    it('unknown runs are 404 naming the id; a malformed id is 400', async () => {
      const unknown = await call<{ error: { details: { field: string }[] } }>(server.url, 'GET', `/runs/${uuidv7()}/run.json`);
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error.details[0]?.field).to.equal('id');
      expect((await call(server.url, 'GET', '/runs/not-a-run/run.json')).status).to.equal(400);
    });
  });

  describe('the log', () => {
    it('GET /runs/:id/events is the log as JSONL; ?after=N gives the events after seq N', async () => {
      const all = await call(server.url, 'GET', `/runs/${done.runId}/events`);
      expect(all.status).to.equal(200);
      expect(all.headers.get('content-type')).to.match(/^application\/x-ndjson/);
      const onDisk = await readFile(`${dir}/${keys.events(done.runId)}`, 'utf8');
      expect(all.text).to.equal(onDisk);
      const after = await call(server.url, 'GET', `/runs/${done.runId}/events?after=5`);
      const seqs = after.text.trim().split('\n').map((l) => parseEventLine(l).seq);
      expect(seqs[0]).to.equal(6);
      expect(seqs.at(-1)).to.equal(done.state.lastSeq);
      expect((await call(server.url, 'GET', `/runs/${done.runId}/events?after=-1`)).status).to.equal(400);
    });

    it('the aliases: node_events, normalization, logs/events, logs/nodes (others 404)', async () => {
      const nodeEvents = await call<{ events: { type: string }[] }>(server.url, 'GET', `/run/${done.runId}/node_events`);
      expect(nodeEvents.status).to.equal(200);
      expect(nodeEvents.body.events.length).to.be.greaterThan(20);
      expect(nodeEvents.body.events.every((e) => e.type.startsWith('node.'))).to.equal(true);
      const events = await call(server.url, 'GET', `/run/${done.runId}/logs/events`);
      expect(events.text).to.equal((await call(server.url, 'GET', `/runs/${done.runId}/events`)).text);
      const nodes = await call(server.url, 'GET', `/run/${done.runId}/logs/nodes`);
      expect(nodes.text.trim().split('\n')).to.have.length(nodeEvents.body.events.length);
      expect((await call(server.url, 'GET', `/run/${done.runId}/logs/secrets`)).status).to.equal(404);
      expect((await call(server.url, 'GET', `/run/${done.runId}/logs/..%2f..`)).status).to.equal(400);

      // A run whose attempt failed output validation: the issues are served per attempt.
      const r = await build(server.url, KEYS.acme, { params: { ...PARAMS, horizonYear: 2060 } });
      const execId = launcher.requests.at(-1)?.executionId ?? '';
      await decideAndAppend(store, r.body.runId, [
        { type: 'StartExecution', executionId: execId },
        { type: 'StartAttempt', node: 'charter', executionId: execId },
        { type: 'FailAttempt', node: 'charter', attempt: 1, durationMs: 5, error: { code: 'invalid_output', message: 'bad', retryable: true }, normalization: { issues: ['drivers: expected 8, got 3'] } },
      ], ctx);
      const norm = await call<{ attempts: { node: string; attempt: number; issues: string[] }[] }>(server.url, 'GET', `/run/${r.body.runId}/normalization`);
      expect(norm.body.attempts).to.have.length(1);
      expect(norm.body.attempts[0]).to.deep.include({ node: 'charter', attempt: 1, issues: ['drivers: expected 8, got 3'] });
      expect((await call<{ attempts: unknown[] }>(server.url, 'GET', `/run/${done.runId}/normalization`)).body.attempts).to.deep.equal([]);
    });
  });

  describe('artifacts', () => {
    it('serves listed artifacts with their type, nosniff and a CSP that runs no script', async () => {
      const json = await call(server.url, 'GET', `/runs/${done.runId}/artifacts/charter.json`);
      expect(json.status).to.equal(200);
      expect(json.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      expect(json.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(json.text).to.equal((await store.getArtifact(done.runId, 'charter.json'))?.body.toString('utf8'));

      const svgName = Object.values(done.state.nodes).flatMap((n) => n.artifacts).find((a) => a.endsWith('.svg'));
      expect(svgName, 'the pipeline renders an SVG').to.be.a('string');
      const svg = await call(server.url, 'GET', `/runs/${done.runId}/artifacts/${svgName}`);
      expect(svg.status).to.equal(200);
      expect(svg.headers.get('content-type')).to.equal('image/svg+xml');
      const csp = svg.headers.get('content-security-policy') ?? '';
      expect(csp).to.include("default-src 'none'");
      expect(csp).to.include('sandbox');
      expect(csp).not.to.match(/script-src/);
      expect(svg.headers.get('x-content-type-options')).to.equal('nosniff');

      const alias = await call(server.url, 'GET', `/artifact/${done.runId}/charter.json`);
      expect(alias.text).to.equal(json.text);
      expect((await call(server.url, 'GET', `/artifact/${done.runId}/image/${svgName}`)).text).to.equal(svg.text);
      expect((await call(server.url, 'GET', `/artifact/${done.runId}/image/charter.json`)).status).to.equal(404);
    });

    it('a name the run does not list is 404 even when the object exists; never a path outside the run', async () => {
      await store.putArtifact(done.runId, 'planted.json', '{"x":1}', 'application/json');
      expect((await call(server.url, 'GET', `/runs/${done.runId}/artifacts/planted.json`)).status).to.equal(404);
      for (const name of ['run.json', 'events.jsonl', 'lease.json']) {
        expect((await call(server.url, 'GET', `/runs/${done.runId}/artifacts/${name}`)).status, name).to.equal(404);
      }
      for (const name of ['..%2Frun.json', '%2e%2e', '..', '%2e%2e%2frun.json', '..%2F..%2Fevents.jsonl', '.hidden', 'a..b']) {
        const r = await rawCall(server.url, 'GET', `/runs/${done.runId}/artifacts/${name}`);
        expect(r.status, name).to.be.oneOf([400, 404]);
      }
    });
  });

  describe('listing', () => {
    let ldir: string;
    let lcleanup: () => Promise<void>;
    let lstore: RunStore;
    let lserver: Running;
    const ids: string[] = [];
    before(async () => {
      ({ dir: ldir, cleanup: lcleanup } = await tempDir('sf-orch-list-'));
      lstore = getLocalRunStore(ldir);
      lserver = await listen({ config: testConfig(ldir), store: lstore, launcher: recordingLauncher() });
      for (let i = 0; i < 7; i++) {
        const r = await build(lserver.url, KEYS.acme, { params: { ...PARAMS, horizonYear: 2030 + i }, label: `run ${i}` });
        ids.unshift(r.body.runId);
      }
      await build(lserver.url, KEYS.globex, { params: PARAMS });
      // Two cancelled (nothing had started, so at once), one deleted.
      for (const id of [ids[1], ids[4]]) expect((await call(lserver.url, 'POST', `/runs/${id}/cancel`, { key: KEYS.acme })).status).to.equal(202);
      expect((await call(lserver.url, 'DELETE', `/runs/${ids[6]}`, { key: KEYS.acme })).status).to.equal(200);
    });
    after(async () => {
      await lserver.close();
      await lcleanup();
    });

    type Page = { runs: { runId: string; label: string; status: string; createdAt: string; updatedAt: string; progress: unknown }[]; nextCursor: string | null };

    it('newest first, limit and cursor, deleted runs hidden, other tenants\' runs never shown', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      const sizes: number[] = [];
      do {
        const page: { status: number; body: Page } = await call<Page>(lserver.url, 'GET', `/runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { key: KEYS.acme });
        expect(page.status).to.equal(200);
        sizes.push(page.body.runs.length);
        seen.push(...page.body.runs.map((r) => r.runId));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).to.deep.equal(ids.slice(0, 6));
      expect(sizes).to.deep.equal([2, 2, 2]);
      const first = await call<Page>(lserver.url, 'GET', '/runs', { key: KEYS.acme });
      expect(Object.keys(first.body.runs[0] ?? {}).sort()).to.deep.equal(['createdAt', 'label', 'progress', 'runId', 'status', 'updatedAt']);
      expect(first.body.runs[0]).to.include({ runId: ids[0], label: 'run 6', status: 'queued' });
      const globex = await call<Page>(lserver.url, 'GET', '/runs', { key: KEYS.globex });
      expect(globex.body.runs).to.have.length(1);
      expect(globex.body.runs.map((r) => r.runId)).not.to.include.members(ids);
    });

    it('status filter; bad limit, status or cursor is 400 naming it; a cursor of another tenant is refused', async () => {
      const cancelled = await call<Page>(lserver.url, 'GET', '/runs?status=cancelled', { key: KEYS.acme });
      expect(cancelled.body.runs.map((r) => r.runId)).to.deep.equal([ids[1], ids[4]]);
      const paged = await call<Page>(lserver.url, 'GET', '/runs?status=queued&limit=3', { key: KEYS.acme });
      expect(paged.body.runs.map((r) => r.runId)).to.deep.equal([ids[0], ids[2], ids[3]]);
      const rest = await call<Page>(lserver.url, 'GET', `/runs?status=queued&limit=3&cursor=${paged.body.nextCursor}`, { key: KEYS.acme });
      expect(rest.body.runs.map((r) => r.runId)).to.deep.equal([ids[5]]);

      for (const [query, field] of [['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=abc', 'limit'], ['limit=1&limit=2', 'limit'], ['status=done', 'status'], ['cursor=%%%', 'cursor'], ['cursor=Zm9v', 'cursor']] as const) {
        const r = await call<{ error: { details: { field: string }[] } }>(lserver.url, 'GET', `/runs?${query}`, { key: KEYS.acme });
        expect(r.status, query).to.equal(400);
        expect(r.body.error.details[0]?.field, query).to.equal(field);
      }
      const mine = await call<Page>(lserver.url, 'GET', '/runs?limit=1', { key: KEYS.acme });
      const foreign = await call(lserver.url, 'GET', `/runs?cursor=${mine.body.nextCursor}`, { key: KEYS.globex });
      expect(foreign.status).to.equal(400);
    });

    it('GET /latest is the tenant\'s newest run', async () => {
      const latest = await call<{ runId: string; links: { ui: string } }>(lserver.url, 'GET', '/latest', { key: KEYS.acme });
      expect(latest.status).to.equal(200);
      expect(latest.body.runId).to.equal(ids[0]);
      expect(latest.body.links.ui).to.equal(`${lserver.url}/runs/${ids[0]}`);
      expect((await call(lserver.url, 'GET', '/latest')).status).to.equal(401);
    });
  });

  describe('system', () => {
    it('/health has exactly the documented fields and no secret', async () => {
      const r = await call<Record<string, unknown>>(server.url, 'GET', '/health');
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.equal({
        status: 'ok', storage_backend: 'local', job_backend: 'local', local_job_mode: 'process', pubsub: 'off', llm_provider: 'offline',
        api_key_source: 'none', version: '0.1.0', pipeline_version: 'v1',
      });
      expect(r.text).not.to.include(KEYS.acme);
    });

    it('/openapi.json is OpenAPI 3.1 describing every route Express has, and only those', async () => {
      const doc = await call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(server.url, 'GET', '/openapi.json');
      expect(doc.status).to.equal(200);
      expect(doc.body.openapi).to.equal('3.1.0');
      const described = Object.entries(doc.body.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
      const app = createApp({ config: testConfig(dir), store, launcher: recordingLauncher(), logger: silentLogger });
      const real = expressRoutes(app).map((r) => {
        const [method, path] = r.split(' ');
        return `${method} ${toOpenApiPath(path ?? '')}`;
      }).sort();
      expect(real.length).to.be.greaterThan(15);
      expect(described).to.deep.equal(real);
      expect(OPERATIONS.filter((o) => o.keyed).map((o) => `${o.method} ${o.path}`).sort()).to.deep.equal([
        'delete /runs/:id', 'get /latest', 'get /runs', 'post /build', 'post /runs/:id/cancel', 'post /runs/:id/nodes/:node/retry', 'post /runs/:id/resume',
      ]);
    });

    it('security headers: the page CSP with no inline script, nosniff, no framing', async () => {
      const r = await call(server.url, 'GET', '/health');
      expect(r.headers.get('content-security-policy')).to.equal(
        "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';object-src 'none';frame-ancestors 'none'",
      );
      expect(r.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(r.headers.get('x-frame-options')).to.equal('SAMEORIGIN');
      expect(r.headers.get('x-powered-by')).to.equal(null);
    });

    it('the run page is HTML for a run, an HTML 404 for an unknown or malformed id', async () => {
      const page = await call(server.url, 'GET', `/runs/${done.runId}`);
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      const unknown = await call(server.url, 'GET', `/runs/${uuidv7()}`);
      expect(unknown.status).to.equal(404);
      expect(unknown.headers.get('content-type')).to.match(/^text\/html/);
      for (const id of ['%2e%2e', '..', 'NOT-A-RUN', '%2e%2e%2f%2e%2e%2fetc']) {
        const r = await rawCall(server.url, 'GET', `/runs/${id}`);
        expect(r.status, id).to.equal(404);
        expect(r.headers['content-type'], id).to.match(/^text\/html/);
      }
    });

    it('unknown routes are a JSON 404', async () => {
      const r = await call<{ error: { code: string } }>(server.url, 'GET', '/nope');
      expect(r.status).to.equal(404);
      expect(r.body.error.code).to.equal('not_found');
    });
  });
});
