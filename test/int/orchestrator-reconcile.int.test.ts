/**
 * The reconcile service over real HTTP and real stores, with a launcher that
 * starts nothing and says what the test tells it: dead executions closed
 * `lost` and recovered (or the run failed when the budget is spent), unstarted
 * ones relaunched under their own id after the grace, settled runs leaving
 * the active index, two sweeps at once recovering once, the internal route's
 * token, resume beside a live or a stalled execution, the lazy nudge of a
 * read, the outbox fan-out of the reconciler's appends, and — on GCS — a
 * sweep whose cost follows the active runs, not all runs.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { isEventOf, type StoredEvent } from '../../shared/domain/events.ts';
import { project, type RunState } from '../../shared/domain/run-state.ts';
import { getMemoryPublisher, type MemoryPublisher } from '../../shared/events-bus/event-publisher.ts';
import { decideAndAppend } from '../../shared/run-log/decide-and-append.ts';
import { getGcsRunStore } from '../../shared/store/gcs-run-store.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { reconcileCountsSchema, runJsonSchema } from '../../orchestrator/api-schemas.ts';
import type { ExecutionObservation } from '../../orchestrator/launchers/job-launcher.ts';
import { startGcsEmulator } from '../support/gcs-emulator.ts';
import { call, KEYS, listen, logBytes, recordingLauncher, testConfig, waitUntil, type RecordingLauncher, type Running } from '../support/orchestrator.ts';
import { createRun, ctx } from '../support/runs.ts';
import { tempDir } from '../support/temp-dir.ts';

const TOKEN = 'reconcile-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface Observing extends RecordingLauncher {
  /** What observe() answers, by execution id (default unknown). */
  says: Map<string, ExecutionObservation>;
}

function observingLauncher(): Observing {
  const base = recordingLauncher();
  const says = new Map<string, ExecutionObservation>();
  return { ...base, says, observe: async (id: string) => says.get(id) ?? { state: 'unknown' } };
}

/** A run whose execution started, with an attempt in flight and a lease that expired (or is live) — as a crashed (or healthy) job leaves it. */
async function startedRun(store: RunStore, lease: 'expired' | 'live'): Promise<{ runId: string; executionId: string }> {
  const made = await createRun(store);
  await store.activeRuns.enter(made.runId, 'acme');
  await decideAndAppend(store, made.runId, [
    { type: 'StartExecution', executionId: made.executionId },
    { type: 'StartAttempt', node: 'charter', executionId: made.executionId },
  ], ctx);
  const clock = lease === 'expired' ? () => Date.now() - 120_000 : Date.now;
  const taken = await store.leases.acquire(made.runId, made.executionId, 60_000, clock);
  expect(taken.acquired).to.equal(true);
  return made;
}

const events = async (store: RunStore, runId: string): Promise<StoredEvent[]> => (await store.readLog(runId)).events;
const sweep = (base: string) => call<Record<string, number>>(base, 'POST', '/internal/reconcile', { headers: AUTH });

describe('orchestrator: the reconciler', function () {
  this.timeout(60_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: RunStore;
  let launcher: Observing;
  let publisher: MemoryPublisher;
  const servers: Running[] = [];

  const start = async (env: Record<string, string> = {}, l: Observing = launcher): Promise<Running> => {
    const config = testConfig(dir, { RECONCILE_TOKEN: TOKEN, LAUNCH_GRACE_S: '1', RUN_MAX_EXECUTIONS: '3', ...env });
    const s = await listen({ config, store, launcher: l, publisher });
    servers.push(s);
    return s;
  };

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('sf-reconcile-'));
    store = getLocalRunStore(dir);
    launcher = observingLauncher();
    publisher = getMemoryPublisher();
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    // The outbox writes its publish cursor after the reply: let it land before the directory goes.
    await waitUntil(async () => cleanup().then(() => true, () => false), 'the temp dir to be removed', 5_000, 100);
  });

  it('a started execution whose lease expired is closed lost, its attempt abandoned, and a new execution recovers the run (published through the outbox)', async () => {
    const server = await start();
    const { runId, executionId } = await startedRun(store, 'expired');
    const r = await sweep(server.url);
    expect(r.status).to.equal(200);
    expect(r.body).to.include({ visited: 1, closed: 1, recovered: 1, relaunched: 0, failed: 0 });
    const log = await events(store, runId);
    const finished = log.find((e) => isEventOf(e, 'execution.finished'));
    expect(finished?.data).to.deep.include({ executionId, outcome: 'lost' });
    expect(log.some((e) => isEventOf(e, 'node.attempt.abandoned') && e.data.node === 'charter')).to.equal(true);
    const recover = log.filter((e) => isEventOf(e, 'execution.requested')).at(-1);
    expect(recover?.data).to.include({ reason: 'recover', by: 'reconciler' });
    const recoverId = (recover?.data as { executionId: string }).executionId;
    expect(launcher.requests).to.deep.equal([{ runId, executionId: recoverId }]);
    const state = project(log);
    expect(state.executions.at(-1)).to.include({ id: recoverId, launchedAs: 'test/executions/e-1' });
    runJsonSchema.parse((await call(server.url, 'GET', `/runs/${runId}/run.json`)).body);
    // run.json rewritten and every appended event published (the same outbox as the job's).
    expect(JSON.parse((await store.readProjection(runId))?.toString() ?? '{}').lastSeq).to.equal(state.lastSeq);
    await waitUntil(() => publisher.delivered(runId).some((e) => e.seq === state.lastSeq), 'the reconciler\'s events to be published');
    // A second sweep sees a healthy (just requested) run: nothing more.
    expect((await sweep(server.url)).body).to.include({ visited: 1, closed: 0, recovered: 0, relaunched: 0 });
  });

  it('with RUN_MAX_EXECUTIONS=1 the run fails (executions_exhausted) with nothing left open, leaves the active index, and a live SSE stream ends', async () => {
    const server = await start({ RUN_MAX_EXECUTIONS: '1' });
    const { runId } = await startedRun(store, 'expired');
    const sse = fetch(`${server.url}/runs/${runId}/events`, { headers: { accept: 'text/event-stream' } }).then((res) => res.text());
    await new Promise((r) => setTimeout(r, 300));
    // The stream's own read may already have nudged the reconciler: either way the run ends the same.
    await sweep(server.url);
    const state = project(await events(store, runId));
    expect(state.status).to.equal('failed');
    expect(state.failure).to.deep.include({ code: 'executions_exhausted' });
    expect(state.executions.every((e) => e.outcome !== null)).to.equal(true);
    expect(Object.values(state.nodes).some((n) => n.status === 'running')).to.equal(false);
    expect(launcher.requests).to.deep.equal([]);
    expect((await store.activeRuns.list({ limit: 10 })).runIds).to.deep.equal([]);
    const text = await sse;
    expect(text).to.match(/event: end/);
  });

  it('believes the platform: an execution it reports ended while the log is open is lost, even under a live lease', async () => {
    const server = await start();
    const { runId, executionId } = await startedRun(store, 'live');
    expect((await sweep(server.url)).body).to.include({ closed: 0, recovered: 0 });
    launcher.says.set(executionId, { state: 'ended', outcome: 'cancelled', reason: 'the execution was cancelled' });
    expect((await sweep(server.url)).body).to.include({ closed: 1, recovered: 1 });
    const finished = (await events(store, runId)).find((e) => isEventOf(e, 'execution.finished'));
    expect((finished?.data as { reason: string }).reason).to.contain('cancelled');
  });

  it('a requested execution that never started is launched again under its own id once the grace is over', async () => {
    const server = await start();
    const { runId, executionId } = await createRun(store);
    await store.activeRuns.enter(runId, 'acme');
    expect((await sweep(server.url)).body).to.include({ relaunched: 0 });
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await sweep(server.url)).body).to.include({ relaunched: 1, recovered: 0, closed: 0 });
    expect(launcher.requests).to.deep.equal([{ runId, executionId }]);
    // Launched again: the grace starts over.
    expect((await sweep(server.url)).body).to.include({ relaunched: 0 });
  });

  it('two orchestrators sweeping at once recover a lost execution once', async () => {
    const other = observingLauncher();
    const [a, b] = [await start(), await start({}, other)];
    const { runId } = await startedRun(store, 'expired');
    const [ra, rb] = await Promise.all([sweep(a.url), sweep(b.url)]);
    expect(ra.body['recovered']! + rb.body['recovered']!).to.equal(1);
    const log = await events(store, runId);
    expect(log.filter((e) => isEventOf(e, 'execution.requested') && e.data.reason === 'recover')).to.have.length(1);
    expect(log.filter((e) => isEventOf(e, 'execution.finished'))).to.have.length(1);
    expect(launcher.requests.length + other.requests.length).to.equal(1);
  });

  it('settled runs and entries whose log never came leave the active index; an active run\'s listing entry is repaired', async () => {
    const server = await start();
    const done = await createRun(store);
    await store.activeRuns.enter(done.runId, 'acme');
    await decideAndAppend(store, done.runId, [{ type: 'RequestCancel', by: 'acme' }], ctx);
    const ghost = uuidv7({ msecs: Date.now() - 5_000 });
    await store.activeRuns.enter(ghost, 'acme');
    const fresh = uuidv7();
    await store.activeRuns.enter(fresh, 'acme'); // being built right now: kept
    const live = await startedRun(store, 'live');
    const r = await sweep(server.url);
    expect(r.body).to.include({ visited: 4, left: 2 });
    expect((await store.activeRuns.list({ limit: 10 })).runIds.sort()).to.deep.equal([fresh, live.runId].sort());
    expect((await store.listRuns('acme', { limit: 10 })).runIds).to.include(live.runId);
  });

  it('POST /internal/reconcile: 404 without RECONCILE_TOKEN configured, 401 without or with a wrong token', async () => {
    const config = testConfig(dir, {});
    const bare = await listen({ config, store, launcher });
    servers.push(bare);
    const r404 = await call(bare.url, 'POST', '/internal/reconcile', { headers: AUTH });
    expect(r404.status).to.equal(404);
    const server = await start();
    expect((await call(server.url, 'POST', '/internal/reconcile')).status).to.equal(401);
    expect((await call(server.url, 'POST', '/internal/reconcile', { headers: { authorization: `Bearer ${TOKEN}x` } })).status).to.equal(401);
    expect((await call(server.url, 'POST', '/internal/reconcile', { key: KEYS.acme })).status).to.equal(401);
    const ok = await sweep(server.url);
    expect(ok.status).to.equal(200);
    expect(Object.keys(ok.body).sort()).to.deep.equal(['closed', 'failed', 'left', 'recovered', 'relaunched', 'visited']);
    reconcileCountsSchema.parse(ok.body); // as documented in /openapi.json
    expect(JSON.stringify(ok.body)).not.to.contain(TOKEN);
    expect((await call(server.url, 'GET', '/health')).text).not.to.contain(TOKEN);
  });

  it('resume: 409 beside a live execution with the log byte-identical; on a stalled one the execution is closed lost and the run resumes (202)', async () => {
    const server = await start();
    const live = await startedRun(store, 'live');
    const before = await logBytes(store, live.runId);
    const refused = await call(server.url, 'POST', `/runs/${live.runId}/resume`, { key: KEYS.acme });
    expect(refused.status).to.equal(409);
    expect(await logBytes(store, live.runId)).to.equal(before);

    const stalled = await startedRun(store, 'expired');
    const ok = await call<{ executionId: string }>(server.url, 'POST', `/runs/${stalled.runId}/resume`, { key: KEYS.acme });
    expect(ok.status).to.equal(202);
    const state = project(await events(store, stalled.runId));
    expect(state.executions.map((e) => [e.reason, e.outcome])).to.deep.equal([['build', 'lost'], ['resume', null]]);
    expect(state.executions[1]?.id).to.equal(ok.body.executionId);
    expect(launcher.requests.map((q) => q.executionId)).to.deep.equal([ok.body.executionId]);
  });

  it('a read of a stale run nudges the reconciler, without waiting for it', async () => {
    const server = await start({ RECONCILE_INTERVAL_S: '0' });
    const { runId } = await startedRun(store, 'expired');
    const r = await call<RunState>(server.url, 'GET', `/runs/${runId}/run.json`);
    expect(r.status).to.equal(200);
    await waitUntil(async () => (await events(store, runId)).some((e) => isEventOf(e, 'execution.requested') && e.data.reason === 'recover'), 'the nudge to recover the run', 5_000);
  });

  it('on GCS, one sweep reads O(active runs): 20 active among 10,000 finished', async () => {
    const emulator = await startGcsEmulator();
    try {
      const bucket = 'reconcile-scale';
      const gcs = getGcsRunStore({ bucket, prefix: 'sf', apiEndpoint: emulator.url, projectId: 'test' });
      // Finished runs need no more than their objects: only the active index is swept.
      for (let i = 0; i < 10_000; i++) {
        const id = uuidv7();
        emulator.putObject(bucket, `sf/runs/${id}/events.jsonl`, '{"v":1,"seq":1}\n', 'application/x-ndjson');
        emulator.putObject(bucket, `sf/tenants/acme/runs/${id}`, '', 'text/plain');
      }
      const active: string[] = [];
      for (let i = 0; i < 20; i++) {
        const { runId } = await createRun(gcs);
        await gcs.activeRuns.enter(runId, 'acme');
        active.push(runId);
      }
      const config = testConfig('/nonexistent', { RUN_STORE: 'gcs', GCS_BUCKET: bucket, RUNS_PREFIX: 'sf', GCS_API_ENDPOINT: emulator.url, RECONCILE_TOKEN: TOKEN, LAUNCH_GRACE_S: '600' });
      const server = await listen({ config, store: gcs, launcher });
      servers.push(server);
      const total = () => Object.values(emulator.stats.requests).reduce((a, b) => a + b, 0);
      const before = total();
      const r = await sweep(server.url);
      const cost = total() - before;
      expect(r.body).to.include({ visited: 20 });
      // Per run: the log (download), the lease (one read), the listing entry ensured once; plus one list.
      expect(cost, `requests for one sweep: ${JSON.stringify(emulator.stats.requests)}`).to.be.below(20 * 5);
      const again = total();
      await sweep(server.url);
      expect(total() - again, 'a second sweep skips the listing repair').to.be.below(20 * 4);
    } finally {
      await emulator.stop();
    }
  });
});
