/**
 * Every run reaches a truthful end (issue 12, the job's side): attempts time
 * out at their node's limit, runs fail at their deadline, lease renewals are
 * heartbeats in the log, and an execution the log has closed writes nothing.
 * Real local store, the real runner, the offline model (scripted where a test
 * needs a model that hangs).
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { NODES } from '../../job-runner/nodes/index.ts';
import { runExecution, type RunnerOptions } from '../../job-runner/runner.ts';
import { isEventOf, type StoredEvent } from '../../shared/domain/events.ts';
import { openAttempts, project } from '../../shared/domain/run-state.ts';
import { getMemoryPublisher } from '../../shared/events-bus/event-publisher.ts';
import { silentLogger } from '../../shared/logger.ts';
import { decideAndAppend } from '../../shared/run-log/decide-and-append.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { checkLog } from '../support/log-checks.ts';
import { createRun, ctx } from '../support/runs.ts';
import { getScriptedModel, type ScriptedModel } from '../support/scripted-model.ts';
import { tempDir } from '../support/temp-dir.ts';

const options: RunnerOptions = { concurrency: 4, retryBaseMs: 5, retryMaxMs: 50, pollMs: 50, leaseTtlMs: 10_000, projectionIntervalMs: 10 };

function execute(store: RunStore, model: ScriptedModel, runId: string, executionId: string, overrides: Partial<RunnerOptions> = {}) {
  const deps = { store, model, nodes: NODES, publisher: getMemoryPublisher(), logger: silentLogger, newId: uuidv7 };
  return runExecution(deps, { runId, executionId }, { ...options, ...overrides }, new AbortController().signal);
}

const attemptsOf = (events: StoredEvent[], node: string) =>
  events.filter((e) => e.type.startsWith('node.attempt.') && (e.data as { node: string }).node === node);

describe('job runner: timeouts, deadline, heartbeats, fencing', function () {
  this.timeout(60_000);
  let tmp: { dir: string; cleanup(): Promise<void> };
  let store: RunStore;
  beforeEach(async () => {
    tmp = await tempDir('sf-live-');
    store = getLocalRunStore(tmp.dir);
  });
  afterEach(async () => tmp.cleanup());

  it('a model that hangs: the attempt fails as timeout at its limit (±10 %), is retried, and the run succeeds', async () => {
    const LIMIT = 400;
    const model = getScriptedModel();
    model.hangNext('drivers');
    const { runId, executionId } = await createRun(store, { timeoutMs: { drivers: LIMIT } });
    const result = await execute(store, model, runId, executionId);
    expect(result).to.include({ outcome: 'succeeded', exitCode: 0 });
    const events = await checkLog(store, runId);
    const drivers = attemptsOf(events, 'drivers');
    expect(drivers.map((e) => `${e.type}:${(e.data as { attempt: number }).attempt}`)).to.deep.equal([
      'node.attempt.started:1',
      'node.attempt.failed:1',
      'node.attempt.started:2',
      'node.attempt.succeeded:2',
    ]);
    const failed = drivers[1];
    if (!failed || !isEventOf(failed, 'node.attempt.failed')) throw new Error('no failed attempt');
    expect(failed.data.error).to.deep.equal({ code: 'timeout', message: `the attempt ran past its limit of ${LIMIT} ms`, retryable: true });
    expect(failed.data.willRetry).to.equal(true);
    expect(failed.data.durationMs, 'duration recorded').to.be.within(LIMIT * 0.9, LIMIT * 1.1);
    const between = Date.parse(failed.at) - Date.parse(drivers[0]?.at ?? '');
    expect(between, 'started → failed in the log').to.be.within(LIMIT * 0.9, LIMIT * 1.1);
    process.stdout.write(`      (timeout measured: durationMs ${failed.data.durationMs}, events ${between} ms apart, limit ${LIMIT} ms)\n`);
    expect(model.calls.filter((n) => n === 'drivers')).to.have.length(2);
  });

  it('a run past its deadline fails with code deadline, its running attempts stopped, and the execution ends 0', async () => {
    const model = getScriptedModel(150);
    const deadlineAt = new Date(Date.now() + 700).toISOString();
    const { runId, executionId } = await createRun(store, { deadlineAt });
    const result = await execute(store, model, runId, executionId);
    const endedAt = Date.now();
    expect(result).to.include({ outcome: 'failed', exitCode: 0 });
    expect(endedAt - Date.parse(deadlineAt), 'stops at the deadline').to.be.below(1000);
    const events = await checkLog(store, runId);
    const state = project(events);
    expect(state.status).to.equal('failed');
    expect(state.failure).to.include({ node: null, code: 'deadline' });
    expect(state.failure?.reason).to.match(new RegExp(`^The run passed its deadline of ${deadlineAt.replace(/\./g, '\\.')} \\(RUN_DEADLINE_S=1\\) before it finished: \\d+ of 12 steps were done\\.$`));
    expect(state.progress.done).to.be.below(12);
    expect(openAttempts(state), 'nothing left running').to.deep.equal([]);
    const stopped = events.filter((e) => isEventOf(e, 'node.attempt.failed') && e.data.error.code === 'deadline');
    expect(stopped.length, 'the attempts in flight were stopped and say why').to.be.greaterThan(0);
    expect(state.executions[0]?.outcome).to.equal('failed');
  });

  it('a run already past its deadline fails at once, no model call made', async () => {
    const model = getScriptedModel();
    const { runId, executionId } = await createRun(store, { deadlineAt: new Date(Date.now() - 1000).toISOString() });
    expect(await execute(store, model, runId, executionId)).to.include({ outcome: 'failed', exitCode: 0 });
    expect(project(await checkLog(store, runId)).failure?.code).to.equal('deadline');
    expect(model.calls).to.deep.equal([]);
  });

  it('each lease renewal is an execution.heartbeat, shown in run.json', async () => {
    const model = getScriptedModel(80);
    const { runId, executionId } = await createRun(store);
    expect((await execute(store, model, runId, executionId, { leaseTtlMs: 300 })).outcome).to.equal('succeeded');
    const events = await checkLog(store, runId);
    const beats = events.filter((e) => isEventOf(e, 'execution.heartbeat'));
    expect(beats.length, 'a renewal every 100 ms of a run of ~0.6 s').to.be.at.least(2);
    for (const b of beats) {
      if (!isEventOf(b, 'execution.heartbeat')) continue;
      expect(b.data.executionId).to.equal(executionId);
      expect(Date.parse(b.data.leaseExpiresAt) - Date.parse(b.at)).to.be.within(150, 350);
    }
    const runJson = JSON.parse((await store.readProjection(runId))?.toString('utf8') ?? '{}') as { executions: Record<string, unknown>[] };
    const last = beats[beats.length - 1];
    expect(runJson.executions[0]).to.include({ heartbeatAt: last?.at, leaseExpiresAt: (last?.data as { leaseExpiresAt: string }).leaseExpiresAt });
  });

  it('renewals stuck behind a slow store: the execution stops once its lease expires, exit non-zero', async () => {
    const model = getScriptedModel(100);
    const { runId, executionId } = await createRun(store);
    const stuck: RunStore = {
      ...store,
      leases: {
        peek: (runId) => store.leases.peek(runId),
        async acquire(...args) {
          const taken = await store.leases.acquire(...args);
          if (taken.acquired) taken.lease.renew = () => new Promise<boolean>(() => undefined);
          return taken;
        },
      },
    };
    const started = Date.now();
    const result = await execute(stuck, model, runId, executionId, { leaseTtlMs: 400 });
    expect(result).to.include({ outcome: 'lease_lost', exitCode: 1 });
    expect(Date.now() - started).to.be.within(350, 1000);
    expect(project((await store.readLog(runId)).events).status).to.not.equal('succeeded');
  });

  it('fencing: once the log closes the execution as lost, it appends nothing more and ends non-zero; the recovery finishes the run', async () => {
    const model = getScriptedModel(120);
    const { runId, executionId } = await createRun(store);
    const first = execute(store, model, runId, executionId);
    // The reconciler's takeover, mid-run, while the first execution still runs (as if it had been paused).
    let lostAt = 0;
    const recover = `exec-${uuidv7()}`;
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      const s = project((await store.readLog(runId)).events);
      if (s.progress.done < 2 || openAttempts(s).length === 0) continue;
      const decided = await decideAndAppend(store, runId, (state) => [
        { type: 'FinishExecution', executionId, outcome: 'lost', reason: 'its lease expired unrenewed' },
        ...openAttempts(state).map((a) => ({ type: 'AbandonAttempt' as const, ...a, reason: 'its execution was lost' })),
        { type: 'RequestExecution', executionId: recover, reason: 'recover' },
      ], ctx);
      lostAt = decided.events[0]?.seq ?? 0;
      break;
    }
    const result = await first;
    expect(result).to.include({ outcome: 'fenced', exitCode: 1 });
    const after = (await store.readLog(runId)).events.filter((e) => e.seq > lostAt + 2);
    expect(after.filter((e) => e.type !== 'execution.requested'), 'nothing by the lost execution after it was closed').to.deep.equal([]);
    expect((await execute(store, getScriptedModel(), runId, recover)).outcome).to.equal('succeeded');
    const events = await checkLog(store, runId);
    for (const id of Object.keys(NODES)) {
      expect(events.filter((e) => isEventOf(e, 'node.attempt.succeeded') && e.data.node === id), id).to.have.length(1);
    }
    for (const e of events) {
      if (e.seq > lostAt && (e.data as { executionId?: string }).executionId === executionId) {
        expect(e.type, `seq ${e.seq}`).to.be.oneOf(['execution.finished']);
      }
    }
  });

  it('an execution already closed as lost writes nothing when it (re)starts: superseded, exit 0', async () => {
    const { runId, executionId } = await createRun(store);
    await decideAndAppend(store, runId, [{ type: 'StartExecution', executionId }], ctx);
    await decideAndAppend(store, runId, [
      { type: 'FinishExecution', executionId, outcome: 'lost', reason: 'the platform says it ended' },
      { type: 'RequestExecution', executionId: `exec-${uuidv7()}`, reason: 'recover' },
    ], ctx);
    const before = (await store.readLog(runId)).lastSeq;
    expect(await execute(store, getScriptedModel(), runId, executionId)).to.include({ outcome: 'superseded', exitCode: 0 });
    expect((await store.readLog(runId)).lastSeq).to.equal(before);
  });
});
