/**
 * Property-based HTTP fuzzing of the orchestrator (fast-check): thousands of
 * requests over every route of the OpenAPI table (and a few that are not
 * routes), with path parameters, query strings, headers and bodies drawn from
 * valid values, near misses and hostile input — types, sizes, percent-encoding,
 * double encoding, overlong UTF-8, lone surrogates, traversal, prototype keys,
 * duplicate and odd X-Api-Key/Authorization headers, wrong Content-Types,
 * Accept variants, repeated query parameters.
 *
 * Properties, for every request:
 * - the answer is never a 5xx (and always comes);
 * - an error answered as JSON has the `{"error":{"code","message"}}` shape;
 * - an artifact route only ever serves bytes of a real artifact (no path escapes);
 * - no answer echoes an API key;
 * - a refused (4xx) request leaves the store untouched: every file's size,
 *   mtime and inode after each refusal, and the bytes of every file (sha256)
 *   across each batch that had only refusals.
 *
 * The store is local, the launcher records instead of starting jobs, and the
 * runs the generators aim at (finished, failed, queued, deleted, another
 * tenant's) are made by the real runner with the offline model.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { v7 as uuidv7 } from 'uuid';
import { NODES, OFFLINE_RESPONDERS } from '../../job-runner/nodes/index.ts';
import { runExecution } from '../../job-runner/runner.ts';
import { isEventOf } from '../../shared/domain/events.ts';
import { project } from '../../shared/domain/run-state.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { getNoopPublisher } from '../../shared/events-bus/event-publisher.ts';
import type { ModelClient } from '../../shared/llm/model-client.ts';
import { getOfflineModel } from '../../shared/llm/offline-model.ts';
import { silentLogger } from '../../shared/logger.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { build, call, hashTree, KEYS, listen, PARAMS, recordingLauncher, testConfig, type Running } from '../support/orchestrator.ts';
import { denied, getScriptedModel } from '../support/scripted-model.ts';
import {
  closeFuzzAgent, describeRequest, FUZZ_ROUTES, requestArb, sendRaw, sha256, statTree, treeDiff,
  type FuzzAnswer, type FuzzPool, type FuzzRequest,
} from '../support/soak-http-fuzz.ts';
import { tempDir } from '../support/temp-dir.ts';

const BATCH = 25;
const REQUESTS = Number(process.env['FUZZ_REQUESTS'] ?? 5200);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261127);
const RUNNER_OPTIONS = { concurrency: 4, retryBaseMs: 1, retryMaxMs: 5, pollMs: 20, leaseTtlMs: 10_000, projectionIntervalMs: 0 };

/** Requests answered by pages or static files (the run page's HTML 404, an unknown asset's plain 404) rather than JSON. */
function isPageRequest(r: FuzzRequest): boolean {
  const pathname = (r.path.split('?')[0] ?? '').replace(/\/{2,}/g, '/');
  return pathname.startsWith('/assets/') || ((r.method === 'GET' || r.method === 'HEAD') && (pathname === '/' || /^\/runs\/[^/]+\/?$/.test(pathname)));
}

describe('HTTP fuzzing (property-based, every route)', function () {
  this.timeout(240_000);
  let tmp: { dir: string; cleanup(): Promise<void> };
  let store: RunStore;
  let server: Running;
  let n = 0;
  const pool: FuzzPool = { acme: [], foreign: [], deleted: [], nodes: SCENARIOFORGE_PIPELINE.nodes.map((x) => x.id), artifacts: [], keys: KEYS };
  const artifactShas = new Set<string>();

  /** A run made by POST /build and run to its end by the real runner. */
  async function seedRun(key: string, model: ModelClient): Promise<string> {
    const r = await build(server.url, key, { params: { ...PARAMS, company: `Seed ${++n}` }, force: true });
    expect(r.status, r.text).to.equal(202);
    const runId = r.body.runId;
    const state = project((await store.readLog(runId)).events);
    await runExecution(
      { store, model, nodes: NODES, publisher: getNoopPublisher(), logger: silentLogger, newId: uuidv7 },
      { runId, executionId: state.executions[0]?.id ?? uuidv7() },
      RUNNER_OPTIONS,
      new AbortController().signal,
    );
    for (const e of (await store.readLog(runId)).events) {
      if (!isEventOf(e, 'node.attempt.succeeded')) continue;
      for (const a of e.data.artifacts) {
        artifactShas.add(a.sha256);
        if (!pool.artifacts.includes(a.name)) pool.artifacts.push(a.name);
      }
    }
    return runId;
  }

  const failing = (): ModelClient => {
    const m = getScriptedModel();
    m.failAlways('drivers', denied());
    return m;
  };

  /** Keeps a finished, a failed and a queued run of `acme`, and one of another tenant, alive for the generators. */
  async function replenish(): Promise<void> {
    const states = await Promise.all(pool.acme.map(async (id) => project((await store.readLog(id)).events)));
    for (const s of states) if (s.deleted && !pool.deleted.includes(s.runId)) pool.deleted.push(s.runId);
    const live = states.filter((s) => !s.deleted);
    pool.acme = live.map((s) => s.runId).slice(-12);
    if (!live.some((s) => s.status === 'succeeded')) pool.acme.push(await seedRun(KEYS.acme, getOfflineModel({ responders: OFFLINE_RESPONDERS })));
    if (!live.some((s) => s.status === 'failed')) pool.acme.push(await seedRun(KEYS.acme, failing()));
    if (!live.some((s) => s.status === 'queued' || s.status === 'running')) {
      const r = await build(server.url, KEYS.acme, { params: { ...PARAMS, company: `Queued ${++n}` } });
      pool.acme.push(r.body.runId);
    }
    const foreign = await Promise.all(pool.foreign.map(async (id) => project((await store.readLog(id)).events)));
    pool.foreign = foreign.filter((s) => !s.deleted).map((s) => s.runId);
    if (pool.foreign.length === 0) pool.foreign.push(await seedRun(KEYS.globex, getOfflineModel({ responders: OFFLINE_RESPONDERS })));
    pool.deleted = pool.deleted.slice(-6);
  }

  before(async () => {
    tmp = await tempDir('sf-fuzz-');
    store = getLocalRunStore(tmp.dir);
    const config = testConfig(tmp.dir, { RATE_LIMIT_PER_MINUTE: '1000000', RECONCILE_TOKEN: 'fuzz-reconcile-token-000000' });
    server = await listen({ config, store, launcher: recordingLauncher(), tailIntervalMs: 20, heartbeatMs: 1_000 });
    await replenish();
    // One deleted run from the start.
    const gone = await seedRun(KEYS.acme, getOfflineModel({ responders: OFFLINE_RESPONDERS }));
    expect((await call(server.url, 'DELETE', `/runs/${gone}`, { key: KEYS.acme })).status).to.equal(200);
    pool.deleted.push(gone);
  });

  after(async () => {
    closeFuzzAgent();
    await server?.close();
    await tmp?.cleanup();
  });

  it(`answers ${REQUESTS} generated requests with no 5xx, and refused requests write nothing`, async () => {
    const histogram = new Map<number, number>();
    const byRoute = new Map<string, Map<number, number>>();
    let requests = 0;
    let refused = 0;
    let verifiedBatches = 0;
    const bump = (m: Map<number, number>, status: number) => m.set(status, (m.get(status) ?? 0) + 1);
    const started = Date.now();

    const notes = new Set<string>();
    const judge = (r: FuzzRequest, a: FuzzAnswer): string | null => {
      if (a.status >= 500 || a.status < 100) return `answered ${a.status}: ${a.body.toString('utf8').slice(0, 300)}`;
      const type = String(a.headers['content-type'] ?? '');
      const text = a.body.toString('utf8');
      if (text.includes(KEYS.acme) || text.includes(KEYS.globex)) return 'the answer echoes an API key';
      if (a.status >= 400 && type.includes('json') && r.method !== 'HEAD') {
        let shape: boolean;
        try {
          const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
          shape = typeof e?.code === 'string' && typeof e.message === 'string';
        } catch {
          shape = false;
        }
        if (!shape) return `a ${a.status} whose JSON is not {"error":{"code","message"}}: ${text.slice(0, 200)}`;
      }
      if (a.status >= 400 && !type.includes('json') && !isPageRequest(r) && r.method !== 'HEAD' && a.body.length > 0) {
        // Not fatal: noted and printed (a JSON error labelled as HTML is a defect, not a danger).
        const note = `${a.status} answered as ${type || 'no content type'}: ${describeRequest(r)}`;
        if (notes.size < 20) notes.add(note);
      }
      if (a.status === 200 && r.method === 'GET' && /^GET \/(runs\/:id\/artifacts|artifact)\//.test(r.route) && !artifactShas.has(sha256(a.body))) {
        return `an artifact route served ${a.body.length} bytes that are no artifact: ${text.slice(0, 120)}`;
      }
      return null;
    };

    // One request per property run, so a failure shrinks to one minimal request; the
    // byte-level check of the store and the pool's upkeep happen every BATCH requests.
    let bytesBefore = await hashTree(tmp.dir);
    let before = await statTree(tmp.dir);
    let wrote = false;
    let sinceBatch = 0;
    const endOfBatch = async (): Promise<void> => {
      const bytesAfter = await hashTree(tmp.dir);
      if (!wrote) {
        const diff = treeDiff(bytesBefore, bytesAfter);
        if (diff.length > 0) throw new Error(`${BATCH} refused or read-only requests changed stored bytes: ${diff.slice(0, 5).join(', ')}`);
        verifiedBatches++;
      }
      await replenish();
      bytesBefore = await hashTree(tmp.dir);
      before = await statTree(tmp.dir);
      wrote = false;
      sinceBatch = 0;
    };

    const property = fc.asyncProperty(requestArb(() => pool), async (r) => {
      let answer: FuzzAnswer;
      try {
        answer = await sendRaw(server.url, r);
      } catch (err) {
        throw new Error(`no answer (${err instanceof Error ? err.message : String(err)})`, { cause: err });
      }
      requests++;
      bump(histogram, answer.status);
      let routeHist = byRoute.get(r.route);
      if (!routeHist) byRoute.set(r.route, (routeHist = new Map()));
      bump(routeHist, answer.status);
      const verdict = judge(r, answer);
      if (verdict) throw new Error(verdict);
      const after = await statTree(tmp.dir);
      const diff = treeDiff(before, after);
      before = after;
      if (answer.status >= 400 && answer.status < 500) {
        refused++;
        if (diff.length > 0) throw new Error(`a refused request (${answer.status}) changed the store: ${diff.slice(0, 5).join(', ')}`);
      } else if (diff.length > 0) {
        wrote = true;
      }
      if (++sinceBatch >= BATCH) await endOfBatch();
    });

    const details = await fc.check(property, { numRuns: REQUESTS, seed: SEED, maxSkipsPerRun: 0 });
    let failure: string | null = null;
    if (details.failed) {
      const [r] = details.counterexample ?? [];
      const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      failure = `after ${details.numRuns} requests (seed ${SEED}, path "${details.counterexamplePath ?? ''}", shrunk ${details.numShrinks} times):\n  ${cause}\n  ${r ? describeRequest(r) : '(no counterexample)'}`;
    }

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`      fuzz: ${requests} requests in ${seconds} s (seed ${SEED}); ${refused} refused; ${verifiedBatches} batches of ${BATCH} byte-verified`);
    console.log(`      status histogram: ${[...histogram].sort((x, y) => x[0] - y[0]).map(([s, c]) => `${s}×${c}`).join('  ')}`);
    for (const [route, h] of [...byRoute].sort((x, y) => x[0].localeCompare(y[0]))) {
      console.log(`        ${route.padEnd(36)} ${[...h].sort((x, y) => x[0] - y[0]).map(([s, c]) => `${s}×${c}`).join(' ')}`);
    }
    for (const note of notes) console.log(`      note: an API error not answered as JSON: ${note}`);
    if (failure) expect.fail(failure);
    expect(requests).to.be.at.least(5000);
    // Every route was exercised, and most of what was sent was refused (the interesting part).
    for (const route of FUZZ_ROUTES) expect(byRoute.has(`${route.method} ${route.path}`), `${route.method} ${route.path} exercised`).to.equal(true);
    expect(refused).to.be.above(requests / 3);
  });
});
