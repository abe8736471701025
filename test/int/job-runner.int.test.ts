import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { NODES } from '../../job-runner/nodes/index.ts';
import { runExecution, type RunnerOptions } from '../../job-runner/runner.ts';
import { isEventOf } from '../../shared/domain/events.ts';
import { project } from '../../shared/domain/run-state.ts';
import { getMemoryPublisher } from '../../shared/events-bus/event-publisher.ts';
import { silentLogger } from '../../shared/logger.ts';
import { decideAndAppend } from '../../shared/run-log/decide-and-append.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { createRun, ctx } from '../support/runs.ts';
import { denied, getScriptedModel, unavailable, type ScriptedModel } from '../support/scripted-model.ts';
import { tempDir } from '../support/temp-dir.ts';
import { checkLog } from '../support/log-checks.ts';

const MODEL_NODES = Object.values(NODES).filter((n) => n.kind === 'model').map((n) => n.id).sort();

const options: RunnerOptions = { concurrency: 4, retryBaseMs: 5, retryMaxMs: 50, pollMs: 50, leaseTtlMs: 10_000, projectionIntervalMs: 10 };

async function execute(store: RunStore, model: ScriptedModel, runId: string, executionId: string, stop = new AbortController().signal) {
  return runExecution({ store, model, nodes: NODES, publisher: getMemoryPublisher(), logger: silentLogger, newId: uuidv7 }, { runId, executionId }, options, stop);
}

describe('job runner', function () {
  this.timeout(60_000);
  let tmp: { dir: string; cleanup(): Promise<void> };
  let store: RunStore;
  beforeEach(async () => {
    tmp = await tempDir('sf-job-');
    store = getLocalRunStore(tmp.dir);
  });
  afterEach(async () => tmp.cleanup());

  it('runs the whole pipeline, every attempt recorded, run.json equal to the fold', async () => {
    const model = getScriptedModel();
    const { runId, executionId } = await createRun(store);
    const result = await execute(store, model, runId, executionId);
    expect(result).to.include({ outcome: 'succeeded', exitCode: 0 });
    const events = await checkLog(store, runId);
    const state = project(events);
    expect(state.status).to.equal('succeeded');
    expect(state.progress).to.deep.equal({ done: 12, total: 12 });
    expect([...model.calls].sort()).to.deep.equal(MODEL_NODES);
    // Every artifact an event names exists, with the hash it was recorded with.
    for (const e of events) {
      if (!isEventOf(e, 'node.attempt.succeeded')) continue;
      for (const a of e.data.artifacts) expect(await store.getArtifact(runId, a.name), a.name).to.not.equal(null);
    }
  });

  it('resume: a new execution runs exactly the nodes not yet succeeded', async () => {
    const model = getScriptedModel(30);
    const { runId, executionId } = await createRun(store);
    const stop = new AbortController();
    // Stop the first execution (as SIGTERM would) once five nodes have succeeded.
    const watcher = setInterval(async () => {
      const s = project((await store.readLog(runId)).events);
      if (s.progress.done >= 5) stop.abort();
    }, 10);
    const first = await execute(store, model, runId, executionId, stop.signal);
    clearInterval(watcher);
    expect(first.exitCode).to.not.equal(0);
    const mid = project((await store.readLog(runId)).events);
    const done = Object.entries(mid.nodes).filter(([, n]) => n.status === 'succeeded').map(([id]) => id);
    expect(done.length).to.be.within(5, 11);
    const second = getScriptedModel();
    const result = await execute(store, second, runId, `exec-${uuidv7()}`);
    expect(result.outcome).to.equal('succeeded');
    expect([...second.calls].sort()).to.deep.equal(MODEL_NODES.filter((n) => !done.includes(n)));
    const events = await checkLog(store, runId);
    for (const id of Object.keys(NODES)) {
      expect(events.filter((e) => isEventOf(e, 'node.attempt.succeeded') && e.data.node === id), id).to.have.length(1);
    }
  });

  it('retries 503s with backoff: attempts 1–2 failed, attempt 3 succeeded', async () => {
    const model = getScriptedModel();
    model.failNext('drivers', unavailable(), unavailable());
    const { runId, executionId } = await createRun(store);
    expect((await execute(store, model, runId, executionId)).outcome).to.equal('succeeded');
    const events = await checkLog(store, runId);
    const drivers = events.filter((e) => e.type.startsWith('node.attempt.') && (e.data as { node: string }).node === 'drivers');
    expect(drivers.map((e) => `${e.type}:${(e.data as { attempt: number }).attempt}`)).to.deep.equal([
      'node.attempt.started:1',
      'node.attempt.failed:1',
      'node.attempt.started:2',
      'node.attempt.failed:2',
      'node.attempt.started:3',
      'node.attempt.succeeded:3',
    ]);
    const failed = drivers.filter((e) => e.type === 'node.attempt.failed');
    expect(failed.map((e) => (e.data as { error: { code: string } }).error.code)).to.deep.equal(['model_unavailable', 'model_unavailable']);
    expect(project(events).nodes.drivers).to.deep.include({ status: 'succeeded', attempts: 3 });
  });

  it('a terminal error fails the node after one attempt and the run with it (exit 0)', async () => {
    const model = getScriptedModel();
    model.failNext('charter', denied());
    const { runId, executionId } = await createRun(store);
    const result = await execute(store, model, runId, executionId);
    expect(result).to.include({ outcome: 'failed', exitCode: 0 });
    const state = project(await checkLog(store, runId));
    expect(state.status).to.equal('failed');
    expect(state.nodes.charter).to.deep.include({ status: 'failed', attempts: 1 });
    expect(state.failure?.node).to.equal('charter');
    expect(model.calls).to.deep.equal(['charter']);
  });

  it('exhausted attempts fail the run; an operator retry resets the node and a new execution succeeds', async () => {
    const model = getScriptedModel();
    model.failAlways('wind_tunnel', unavailable());
    const { runId, executionId } = await createRun(store);
    expect((await execute(store, model, runId, executionId)).outcome).to.equal('failed');
    let state = project(await checkLog(store, runId));
    expect(state.nodes.wind_tunnel).to.deep.include({ status: 'failed', attempts: 3 });
    expect(state.nodes.report?.status).to.equal('pending');
    model.heal('wind_tunnel');
    const retry = `exec-${uuidv7()}`;
    await decideAndAppend(store, runId, [{ type: 'RetryNode', node: 'wind_tunnel', by: 'operator' }, { type: 'RequestExecution', executionId: retry, reason: 'retry' }], ctx);
    expect((await execute(store, model, runId, retry)).outcome).to.equal('succeeded');
    state = project(await checkLog(store, runId));
    expect(state.status).to.equal('succeeded');
    expect(state.nodes.wind_tunnel).to.deep.include({ status: 'succeeded', attempts: 4 });
    expect(state.nodes.wind_tunnel?.lastAttempt).to.deep.include({ n: 4, status: 'succeeded' });
  });

  it('notices an operator cancel within a few seconds and records it', async () => {
    const model = getScriptedModel(300);
    const { runId, executionId } = await createRun(store);
    const running = execute(store, model, runId, executionId);
    await new Promise((r) => setTimeout(r, 450));
    const asked = Date.now();
    await decideAndAppend(store, runId, [{ type: 'RequestCancel', by: 'operator' }], ctx);
    const result = await running;
    expect(Date.now() - asked).to.be.below(3000);
    expect(result).to.include({ outcome: 'cancelled', exitCode: 0 });
    const events = await checkLog(store, runId);
    const state = project(events);
    expect(state.status).to.equal('cancelled');
    expect(events.some((e) => e.type === 'node.attempt.cancelled')).to.equal(true);
    expect(Object.values(state.nodes).some((n) => n.status === 'running')).to.equal(false);
  });

  it('a cancel asked of an execution that died is honoured by a resumed execution (found by the soak)', async () => {
    const model = getScriptedModel();
    const { runId, executionId } = await createRun(store);
    // The execution starts an attempt, then dies for good (its retries used up).
    await decideAndAppend(store, runId, [{ type: 'StartExecution', executionId }, { type: 'StartAttempt', node: 'charter', executionId }], ctx);
    await decideAndAppend(store, runId, [{ type: 'RequestCancel', by: 'operator' }], ctx);
    const resume = `exec-${uuidv7()}`;
    // As the resume route does for a stalled run: the dead execution is closed first.
    await decideAndAppend(store, runId, [
      { type: 'FinishExecution', executionId, outcome: 'lost', reason: 'its job process is gone' },
      { type: 'RequestExecution', executionId: resume, reason: 'resume' },
    ], ctx);
    const result = await execute(store, model, runId, resume);
    expect(result).to.include({ outcome: 'cancelled', exitCode: 0 });
    const state = project(await checkLog(store, runId));
    expect(state.status).to.equal('cancelled');
    expect(state.executions.every((e) => e.outcome !== null), 'every execution closed').to.equal(true);
    expect(state.nodes.charter?.lastAttempt?.status).to.equal('abandoned');
    expect(model.calls).to.deep.equal([]);
  });

  it('two executions at once: one does the work, the other writes nothing', async () => {
    const model = getScriptedModel(20);
    const { runId, executionId } = await createRun(store);
    const other = `exec-${uuidv7()}`;
    const [a, b] = await Promise.all([execute(store, model, runId, executionId), execute(store, model, runId, other)]);
    expect([a.outcome, b.outcome].sort()).to.deep.equal(['busy', 'succeeded']);
    const loserId = a.outcome === 'busy' ? executionId : other;
    const byLoser = (await store.readLog(runId)).events.filter(
      (e) => e.type !== 'execution.requested' && (e.data as { executionId?: string }).executionId === loserId,
    );
    expect(byLoser, 'the execution that found the lease taken appended nothing').to.deep.equal([]);
    await checkLog(store, runId);
  });
});
