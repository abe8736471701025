/**
 * The soak's checker catches what it is there to catch: finished runs made by
 * the real runner (offline model, in-memory store) are clean, and each planted
 * anomaly — a doubled event, a seq gap, a missing or altered artifact, a
 * run.json that is not the fold, a deleted run still listed, a second success,
 * two runs for identical builds, a 5xx, a broken SSE stream, a leaked key, a
 * stuck run — yields its own specific anomaly.
 */
import { expect } from 'chai';
import stableStringify from 'fast-json-stable-stringify';
import { v7 as uuidv7 } from 'uuid';
import { NODES, OFFLINE_RESPONDERS } from '../../job-runner/nodes/index.ts';
import { runExecution } from '../../job-runner/runner.ts';
import { isEventOf, serializeEvent, type StoredEvent } from '../../shared/domain/events.ts';
import { project } from '../../shared/domain/run-state.ts';
import { getNoopPublisher } from '../../shared/events-bus/event-publisher.ts';
import { getOfflineModel } from '../../shared/llm/offline-model.ts';
import { silentLogger } from '../../shared/logger.ts';
import { decideAndAppend } from '../../shared/run-log/decide-and-append.ts';
import { parseLog } from '../../shared/store/event-log.ts';
import { keys } from '../../shared/store/keys.ts';
import { getMemoryRunStore } from '../../shared/store/memory-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { checkRuns, checkStore, isStuck, scanForSecret, type Anomaly, type CheckExpectations } from '../../scripts/soak/checker.ts';
import { cutByRestart } from '../../scripts/soak/judge.ts';
import { CUT_BY_RESTART } from '../../scripts/soak/types.ts';
import type { BuildRecord, SseRecord } from '../../scripts/soak/types.ts';
import { createRun, ctx } from '../support/runs.ts';

const OPTIONS = { concurrency: 4, retryBaseMs: 1, retryMaxMs: 5, pollMs: 20, leaseTtlMs: 10_000, projectionIntervalMs: 0 };

/** A run created and finished by the real runner, listed in its tenant's index. */
async function finishedRun(store: RunStore, tenant = 'acme'): Promise<string> {
  const { runId, executionId } = await createRun(store, { tenant });
  await store.indexRun(tenant, runId);
  const result = await runExecution(
    { store, model: getOfflineModel({ responders: OFFLINE_RESPONDERS }), nodes: NODES, publisher: getNoopPublisher(), logger: silentLogger, newId: uuidv7 },
    { runId, executionId },
    OPTIONS,
    new AbortController().signal,
  );
  expect(result.outcome).to.equal('succeeded');
  return runId;
}

/** What the orchestrator serves and lists: run.json when current (else the fold); the index without deleted runs. */
function orchestratorView(store: RunStore): Pick<CheckExpectations, 'servedRunJson' | 'listRuns'> {
  const fold = async (runId: string) => project(parseLog((await store.readRawLog(runId))?.toString('utf8') ?? '').events);
  return {
    async servedRunJson(runId) {
      const state = await fold(runId);
      if (state.deleted) return { status: 410, body: '{"error":{"code":"gone"}}' };
      const stored = (await store.readProjection(runId))?.toString('utf8') ?? null;
      const storedSeq = stored ? (JSON.parse(stored) as { lastSeq: number }).lastSeq : -1;
      return { status: 200, body: stored !== null && storedSeq >= state.lastSeq ? stored : stableStringify(state) };
    },
    async listRuns(tenant) {
      const ids = (await store.listRuns(tenant, { limit: 1000 })).runIds;
      const live = [];
      for (const id of ids) if (!(await fold(id)).deleted) live.push(id);
      return live;
    },
  };
}

async function logLines(store: RunStore, runId: string): Promise<string[]> {
  const text = (await store.readRawLog(runId))?.toString('utf8') ?? '';
  return text.split('\n').filter((l) => l !== '');
}

async function writeLog(store: ReturnType<typeof getMemoryRunStore>, runId: string, lines: string[]): Promise<void> {
  await store.blobs.put(keys.events(runId), lines.map((l) => `${l}\n`).join(''));
}

const kinds = (anomalies: Anomaly[]) => [...new Set(anomalies.map((a) => a.kind))].sort();

function buildRecord(sigKey: string, runId: string, start: number, extra: Partial<BuildRecord> = {}): BuildRecord {
  return { tenant: 'acme', sigKey, force: false, start, end: start + 10, status: 200, runId, reused: true, ...extra };
}

describe('soak checker', function () {
  this.timeout(30_000);
  let store: ReturnType<typeof getMemoryRunStore>;
  let a: string;
  let b: string;

  beforeEach(async () => {
    store = getMemoryRunStore();
    a = await finishedRun(store);
    b = await finishedRun(store, 'globex');
  });

  it('a clean store of finished runs yields no anomaly', async () => {
    const view = orchestratorView(store);
    const anomalies = await checkRuns(store, { ...view, requireTerminal: true, runIds: [a, b] });
    expect(anomalies).to.deep.equal([]);
  });

  it('an event whose id is already in the log (appended again, with the next seq) is a log_duplicate_id', async () => {
    const lines = await logLines(store, a);
    const last = JSON.parse(lines.at(-1) ?? '{}') as StoredEvent;
    await writeLog(store, a, [...lines, serializeEvent({ ...last, seq: last.seq + 1 }).trimEnd()]);
    const anomalies = await checkRuns(store, orchestratorView(store));
    expect(kinds(anomalies)).to.deep.equal(['log_duplicate_id']);
    expect(anomalies[0]?.runId).to.equal(a);
  });

  it('a missing line (seq gap) is a log_seq_gap; run.json, now ahead of what readers can fold, is reported too', async () => {
    const lines = await logLines(store, a);
    await writeLog(store, a, [...lines.slice(0, 4), ...lines.slice(5)]);
    const anomalies = await checkRuns(store, orchestratorView(store));
    expect(kinds(anomalies)).to.deep.equal(['log_seq_gap', 'projection_ahead', 'projection_mismatch']);
    expect(anomalies.every((x) => x.runId === a)).to.equal(true);
    expect(anomalies.find((x) => x.kind === 'log_seq_gap')?.detail).to.equal('line 5 has seq 6, expected 5');
    expect(anomalies.filter((x) => x.kind === 'log_seq_gap')).to.have.length(1);
  });

  it('a torn last line and a line that is not JSON are reported', async () => {
    const lines = await logLines(store, a);
    await store.blobs.put(keys.events(a), `${lines.slice(0, 3).join('\n')}\nnot json\n${lines.slice(3).join('\n')}\n{"v":1,"seq":`);
    expect(kinds(await checkRuns(store))).to.include.members(['log_malformed_line', 'log_torn_tail']);
  });

  it('a missing artifact is an artifact_missing; an altered one an artifact_sha_mismatch', async () => {
    await store.blobs.delete(keys.artifact(a, 'drivers.json'));
    await store.putArtifact(b, 'report.md', '# not the report the event names\n', 'text/markdown');
    const anomalies = await checkRuns(store, orchestratorView(store));
    expect(anomalies.map((x) => [x.kind, x.runId])).to.deep.equal([
      ['artifact_missing', a],
      ['artifact_sha_mismatch', b],
    ].sort((x, y) => String(x[1]).localeCompare(String(y[1]))));
    expect(anomalies.find((x) => x.kind === 'artifact_missing')?.detail).to.match(/^drivers\.json /);
  });

  it('a run.json that differs from the fold is a projection_mismatch (served) and a stored_projection_mismatch', async () => {
    const state = JSON.parse((await store.readProjection(a))?.toString('utf8') ?? '{}') as Record<string, unknown>;
    await store.blobs.put(keys.projection(a), stableStringify({ ...state, label: 'rewritten behind the log\'s back' }));
    const anomalies = await checkRuns(store, orchestratorView(store));
    expect(kinds(anomalies)).to.deep.equal(['projection_mismatch', 'stored_projection_mismatch']);
    expect(anomalies.every((x) => x.runId === a)).to.equal(true);
  });

  it('a run.json ahead of the log, or missing, is reported', async () => {
    const state = JSON.parse((await store.readProjection(a))?.toString('utf8') ?? '{}') as { lastSeq: number };
    await store.blobs.put(keys.projection(a), stableStringify({ ...state, lastSeq: state.lastSeq + 3 }));
    await store.blobs.delete(keys.projection(b));
    expect(kinds(await checkRuns(store))).to.deep.equal(['projection_ahead', 'projection_missing']);
  });

  it('a deleted run still listed is a deleted_listed; a live run missing from the list a run_not_listed', async () => {
    await decideAndAppend(store, a, [{ type: 'DeleteRun', by: 'acme' }], ctx);
    await store.writeProjection(a, project((await store.readLog(a)).events));
    const view = orchestratorView(store);
    // The orchestrator hides it: clean.
    expect(await checkRuns(store, view)).to.deep.equal([]);
    // A listing that still shows it (its index entry and the log's verdict ignored):
    const leaky = await checkRuns(store, { ...view, listRuns: async (t) => (await store.listRuns(t, { limit: 1000 })).runIds });
    expect(leaky.map((x) => [x.kind, x.runId])).to.deep.equal([['deleted_listed', a]]);
    // A listing that loses a live run:
    const lossy = await checkRuns(store, { ...view, listRuns: async () => [] });
    expect(lossy.map((x) => [x.kind, x.runId])).to.deep.equal([['run_not_listed', b]]);
    // And a deleted run's run.json must not be served.
    const served = await checkRuns(store, { ...view, servedRunJson: async () => ({ status: 200, body: '{}' }) });
    expect(served.filter((x) => x.runId === a).map((x) => x.kind)).to.deep.equal(['deleted_served']);
  });

  it('a node that succeeds twice without an operator retry is a double_success; with one in between it is fine', async () => {
    const events = (await store.readLog(a)).events;
    const win = events.find((e) => isEventOf(e, 'node.attempt.succeeded') && e.data.node === 'report');
    if (!win || !isEventOf(win, 'node.attempt.succeeded')) throw new Error('no success of report');
    const again = (seq: number) => serializeEvent({ ...win, id: uuidv7(), seq, data: { ...win.data, attempt: 2 } }).trimEnd();
    const lines = await logLines(store, a);
    await writeLog(store, a, [...lines, again(lines.length + 1)]);
    await store.writeProjection(a, project((await store.readLog(a)).events));
    expect(kinds(await checkRuns(store))).to.deep.equal(['double_success']);

    const retry = serializeEvent({ v: 1, seq: lines.length + 1, id: uuidv7(), type: 'node.retry.requested', at: win.at, data: { node: 'report', by: 'acme', reset: ['report'] } }).trimEnd();
    await writeLog(store, a, [...lines, retry, again(lines.length + 2)]);
    await store.writeProjection(a, project((await store.readLog(a)).events));
    expect(await checkRuns(store)).to.deep.equal([]);
  });

  it('a terminal run with an attempt never ended, or an execution never finished, is reported; an unfinished run only when required', async () => {
    const lines = await logLines(store, a);
    const started = lines.findIndex((l) => l.includes('"node.attempt.started"') && l.includes('"charter"'));
    const ended = lines.findIndex((l) => l.includes('"node.attempt.succeeded"') && l.includes('"charter"'));
    const finished = lines.findIndex((l) => l.includes('"execution.finished"'));
    // Drop charter's success and the execution's end: renumber so the log itself stays contiguous.
    const kept = lines.filter((_, i) => i !== ended && i !== finished).map((l, i) => JSON.stringify({ ...(JSON.parse(l) as object), seq: i + 1 }));
    expect(started).to.be.above(-1);
    await writeLog(store, a, kept);
    await store.writeProjection(a, project((await store.readLog(a)).events));
    expect(kinds(await checkRuns(store))).to.include.members(['attempt_never_ended', 'execution_left_open']);

    const { runId } = await createRun(store, { tenant: 'acme' });
    await store.writeProjection(runId, project((await store.readLog(runId)).events));
    const unfinished = await checkRuns(store, { requireTerminal: true });
    expect(unfinished.filter((x) => x.runId === runId).map((x) => x.kind)).to.deep.equal(['run_not_terminal']);
    expect((await checkRuns(store)).filter((x) => x.runId === runId)).to.deep.equal([]);
  });

  it('identical builds answering two runs in one quiet window are a dedup_violation; a force or a delete in between starts a new window', async () => {
    const t = 1_000_000;
    const clean: BuildRecord[] = [
      buildRecord('acme|1', a, t, { status: 202, reused: false }),
      buildRecord('acme|1', a, t + 5),
      buildRecord('acme|1', b, t + 100, { force: true, status: 202, reused: false }),
      buildRecord('acme|1', b, t + 200),
      buildRecord('acme|2', b, t),
    ];
    expect(await checkRuns(store, { builds: clean })).to.deep.equal([]);
    expect(kinds(await checkRuns(store, { builds: [...clean, buildRecord('acme|1', a, t + 300)] }))).to.deep.equal(['dedup_violation']);
    // After a delete (its claim released) a new run is expected.
    const deletes = [{ runId: b, sigKey: 'acme|1', start: t + 250, end: t + 260, status: 200 }];
    expect(await checkRuns(store, { builds: [...clean, buildRecord('acme|1', a, t + 300)], deletes })).to.deep.equal([]);
    // A build that overlaps a force may see either run.
    expect(await checkRuns(store, { builds: [...clean, buildRecord('acme|1', a, t + 95)] })).to.deep.equal([]);
  });

  it('a 5xx, an unanswered request or a broken answer seen by the load is reported', async () => {
    const anomalies = await checkRuns(store, {
      failedRequests: [
        { method: 'GET', path: `/runs/${a}/run.json`, status: 503, detail: 'unavailable', at: 1 },
        { method: 'POST', path: '/build', status: null, detail: 'ECONNRESET', at: 2 },
      ],
      badResponses: [{ method: 'GET', path: `/runs/${a}/run.json`, status: 200, detail: 'ETag "3" does not name lastSeq 4', at: 3 }],
    });
    expect(anomalies.map((x) => x.kind)).to.deep.equal(['server_error', 'request_failed', 'bad_response']);
  });

  it('SSE: a gap, an event that is not the logged one, a non-terminal end and a missing end are each reported', async () => {
    const events = (await store.readLog(a)).events;
    const frame = (e: StoredEvent) => ({ frameId: e.seq, seq: e.seq, id: e.id });
    const state = project(events);
    const good: SseRecord = {
      runId: a, after: 2, httpStatus: 200, frames: events.slice(2).map(frame),
      end: { status: state.status, deleted: false, lastSeq: state.lastSeq }, aborted: null, problems: [],
    };
    expect(await checkRuns(store, { sse: [good] })).to.deep.equal([]);
    const gap = { ...good, frames: good.frames.filter((_, i) => i !== 3) };
    const wrong = { ...good, frames: good.frames.map((f, i) => (i === 1 ? { ...f, id: 'not-the-logged-event' } : f)) };
    const badEnd = { ...good, end: { status: 'running', deleted: false, lastSeq: state.lastSeq } };
    const noEnd = { ...good, end: null, aborted: 'the soak ended' };
    expect(kinds(await checkRuns(store, { sse: [gap] }))).to.deep.equal(['sse_gap']);
    expect(kinds(await checkRuns(store, { sse: [wrong] }))).to.deep.equal(['sse_mismatch']);
    expect(kinds(await checkRuns(store, { sse: [badEnd] }))).to.deep.equal(['sse_bad_end']);
    expect(kinds(await checkRuns(store, { sse: [noEnd] }))).to.deep.equal(['sse_not_ended']);
  });

  it('stuck runs: a live run nobody holds is stuck (counted, and a run_stuck when judged); terminal, deleted or leased runs are not', async () => {
    const now = Date.now();
    const at = (ms: number) => new Date(now + ms).toISOString();
    // Held: started, its last heartbeat's lease runs another 30 s.
    const held = await createRun(store);
    await decideAndAppend(store, held.runId, [
      { type: 'StartExecution', executionId: held.executionId },
      { type: 'RecordHeartbeat', executionId: held.executionId, leaseExpiresAt: at(30_000) },
    ], ctx);
    // Killed for good: its lease expired a minute ago and nobody renewed or closed it.
    const killed = await createRun(store);
    await decideAndAppend(store, killed.runId, [
      { type: 'StartExecution', executionId: killed.executionId },
      { type: 'RecordHeartbeat', executionId: killed.executionId, leaseExpiresAt: at(-60_000) },
    ], ctx);
    // Requested, never started; and one that never recorded a heartbeat.
    const never = await createRun(store);
    const silent = await createRun(store);
    await decideAndAppend(store, silent.runId, [{ type: 'StartExecution', executionId: silent.executionId }], ctx);
    // Stuck but deleted: not counted.
    const gone = await createRun(store);
    await decideAndAppend(store, gone.runId, [{ type: 'DeleteRun', by: 'acme' }], ctx);
    for (const id of [held.runId, killed.runId, never.runId, silent.runId, gone.runId]) await store.writeProjection(id, project((await store.readLog(id)).events));

    const stuck = [killed.runId, never.runId, silent.runId].sort();
    const counted = await checkStore(store, { now });
    expect(counted.runs.filter((r) => r.stuck).map((r) => r.runId).sort()).to.deep.equal(stuck);
    expect(counted.anomalies, 'counted, not judged').to.deep.equal([]);
    const judged = await checkRuns(store, { now, judgeStuck: true });
    expect(judged.map((x) => [x.kind, x.runId]).sort()).to.deep.equal(stuck.map((id) => ['run_stuck', id]));
    expect(judged.find((x) => x.runId === killed.runId)?.detail).to.match(/has no live lease \(last heartbeat .*, lease until .*\)/);
    expect(judged.find((x) => x.runId === never.runId)?.detail).to.match(/never started$/);
    // The finished runs of beforeEach are never stuck; the held one is, once its lease has run out.
    expect(isStuck(project((await store.readLog(a)).events), now)).to.equal(false);
    expect(isStuck(project((await store.readLog(held.runId)).events), now + 31_000)).to.equal(true);
  });

  it('a restart\'s cuts are excused: unanswered requests in its downtime, SSE watchers it aborted', async () => {
    const downtimes = [{ start: 1_000, end: 1_500 }];
    expect(cutByRestart({ method: 'GET', path: '/x', status: null, detail: 'ECONNREFUSED', at: 1_200 }, downtimes)).to.equal(true);
    expect(cutByRestart({ method: 'GET', path: '/x', status: null, detail: 'other side closed', at: 3_000 }, downtimes), 'within the margin').to.equal(true);
    expect(cutByRestart({ method: 'GET', path: '/x', status: null, detail: 'ECONNRESET', at: 9_000 }, downtimes)).to.equal(false);
    expect(cutByRestart({ method: 'GET', path: '/x', status: 503, detail: 'unavailable', at: 1_200 }, downtimes), 'an answer is never excused').to.equal(false);
    const cut: SseRecord = { runId: a, after: 0, httpStatus: 200, frames: [], end: null, aborted: CUT_BY_RESTART, problems: [] };
    expect(await checkRuns(store, { sse: [cut] })).to.deep.equal([]);
    expect(kinds(await checkRuns(store, { sse: [{ ...cut, aborted: 'the soak ended' }] }))).to.deep.equal(['sse_not_ended']);
  });

  it('a secret found in text or bytes is a secret_leak; its absence is nothing', () => {
    const key = 'AIzaSyFAKE-unit-0123456789';
    expect(scanForSecret('a log', `{"msg":"calling with ${key}","again":"${key}"}`, key)).to.have.length(1);
    expect(scanForSecret('a log', `{"msg":"calling with ${key}"}`, key)[0]?.detail).to.match(/1 time\(s\) in a log/);
    expect(scanForSecret('an object', Buffer.from(`x${key}y`), key)[0]?.kind).to.equal('secret_leak');
    expect(scanForSecret('an object', 'AIzaSyFAKE-unit-012345678', key)).to.deep.equal([]);
  });
});
