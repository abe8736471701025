import { expect } from 'chai';
import type { Command } from '../../shared/domain/decide.ts';
import type { StoredEvent } from '../../shared/domain/events.ts';
import { closeStalled, executionsUsed, reconcile, type Observation, type PlatformView, type ReconcilePolicy } from '../../shared/domain/reconcile.ts';
import { project } from '../../shared/domain/run-state.ts';
import { createdData, run, step, testContext } from '../support/decider.ts';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const GRACE_MS = 30_000;
const policy: ReconcilePolicy = { maxExecutions: 3 };
const iso = (ms: number) => new Date(ms).toISOString();
const ids = () => {
  let n = 0;
  return () => `recover-${++n}`;
};

/** Observations at `now` ms after T0. */
function seen(nowOffset: number, lease: Observation['lease'], platform: PlatformView = { state: 'unknown' }): Observation {
  return { now: iso(T0 + nowOffset), graceCutoff: iso(T0 + nowOffset - GRACE_MS), lease, platform };
}
const liveLease = (executionId: string, expiresIn = 20_000, now = 0) => ({ executionId, expiresAt: iso(T0 + now + expiresIn), holderAlive: true });

const requested = (): StoredEvent[] =>
  run([
    { type: 'CreateRun', data: createdData() },
    { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
  ], testContext(T0));

function startedWithAttempt(): StoredEvent[] {
  let h = requested();
  h = step(h, { type: 'StartExecution', executionId: 'e1' });
  return step(h, { type: 'StartAttempt', node: 'charter', executionId: 'e1' });
}

const types = (commands: Command[]) => commands.map((c) => c.type);

describe('reconcile (pure decision over the log and the observations)', () => {
  it('leaves a healthy started execution alone while its lease is renewed', () => {
    const r = reconcile(project(startedWithAttempt()), seen(5_000, liveLease('e1', 20_000, 5_000)), policy, ids());
    expect(r.commands).to.deep.equal([]);
    expect(r.launch).to.equal(null);
  });

  it('closes an execution whose lease expired unrenewed as lost, abandons its attempts and recovers', () => {
    const state = project(startedWithAttempt());
    const r = reconcile(state, seen(60_000, { executionId: 'e1', expiresAt: iso(T0 + 30_000), holderAlive: true }), policy, ids());
    expect(types(r.commands)).to.deep.equal(['FinishExecution', 'AbandonAttempt', 'RequestExecution']);
    const finish = r.commands[0] as Extract<Command, { type: 'FinishExecution' }>;
    expect(finish.outcome).to.equal('lost');
    expect(finish.reason).to.match(/lease expired at 2026-11-27T10:00:30.000Z/);
    expect(r.commands[1]).to.deep.include({ node: 'charter', attempt: 1 });
    expect(r.commands[2]).to.deep.include({ executionId: 'recover-1', reason: 'recover' });
    expect(r.launch).to.equal('recover-1');
  });

  it('believes the platform when it says the execution ended, even before the lease expires', () => {
    const platform: PlatformView = { state: 'ended', outcome: 'failed', reason: 'Cloud Run execution e1 failed: 1 task failed after 3 retries' };
    const r = reconcile(project(startedWithAttempt()), seen(1_000, liveLease('e1'), platform), policy, ids());
    expect(types(r.commands)).to.deep.equal(['FinishExecution', 'AbandonAttempt', 'RequestExecution']);
    expect((r.commands[0] as { reason: string }).reason).to.contain('1 task failed after 3 retries');
  });

  it('treats a holder whose process is gone as dead at once', () => {
    const r = reconcile(project(startedWithAttempt()), seen(1_000, { ...liveLease('e1'), holderAlive: false }), policy, ids());
    expect(types(r.commands)[0]).to.equal('FinishExecution');
  });

  it('waits while another live execution holds the lease (it is taking over)', () => {
    const r = reconcile(project(startedWithAttempt()), seen(1_000, liveLease('e2')), policy, ids());
    expect(r.commands).to.deep.equal([]);
  });

  it('fails the run with executions_exhausted once the budget is spent', () => {
    const state = project(startedWithAttempt());
    const r = reconcile(state, seen(60_000, null), { ...policy, maxExecutions: 1 }, ids());
    expect(types(r.commands)).to.deep.equal(['FinishExecution', 'AbandonAttempt', 'FailRun']);
    const fail = r.commands[2] as Extract<Command, { type: 'FailRun' }>;
    expect(fail.code).to.equal('executions_exhausted');
    expect(fail.reason).to.match(/all 1 execution it may use \(RUN_MAX_EXECUTIONS\).*lease is gone/);
    expect(r.launch).to.equal(null);
  });

  it('confirms a pending cancel instead of recovering', () => {
    const h = step(startedWithAttempt(), { type: 'RequestCancel', by: 'acme' });
    const r = reconcile(project(h), seen(60_000, null), policy, ids());
    expect(types(r.commands)).to.deep.equal(['FinishExecution', 'AbandonAttempt', 'ConfirmCancel']);
  });

  it('launches a requested execution again, same id, once the grace period is over', () => {
    const state = project(requested());
    expect(reconcile(state, seen(10_000, null), policy, ids()).launch).to.equal(null);
    const r = reconcile(state, seen(31_000, null), policy, ids());
    expect(r.commands).to.deep.equal([]);
    expect(r.launch).to.equal('e1');
  });

  it('does not relaunch what the platform says is still starting', () => {
    const r = reconcile(project(requested()), seen(120_000, null, { state: 'running' }), policy, ids());
    expect(r.launch).to.equal(null);
  });

  it('counts the grace period from the last launch when there was one', () => {
    const h = step(requested(), { type: 'RecordLaunch', executionId: 'e1', backend: 'local', name: 'local:1' }, testContext(T0 + 25_000));
    expect(reconcile(project(h), seen(40_000, null), policy, ids()).launch).to.equal(null);
    expect(reconcile(project(h), seen(56_000, null), policy, ids()).launch).to.equal('e1');
  });

  it('requests an execution for a live run that has none (a crash between two appends)', () => {
    const h = run([{ type: 'CreateRun', data: createdData() }], testContext(T0));
    expect(reconcile(project(h), seen(1_000, null), policy, ids()).commands).to.deep.equal([]);
    const r = reconcile(project(h), seen(31_000, null), policy, ids());
    expect(r.commands).to.deep.equal([{ type: 'RequestExecution', executionId: 'recover-1', reason: 'recover', by: 'reconciler' }]);
    expect(r.launch).to.equal('recover-1');
  });

  it('only tidies a terminal run: the open execution is closed, nothing recovers', () => {
    let h = startedWithAttempt();
    h = step(h, { type: 'FailAttempt', node: 'charter', attempt: 1, durationMs: 1, error: { code: 'x', message: 'x', retryable: false } });
    h = step(h, { type: 'FailRun', node: 'charter', reason: 'node charter failed: x' });
    const r = reconcile(project(h), seen(60_000, null), policy, ids());
    expect(types(r.commands)).to.deep.equal(['FinishExecution']);
    expect(reconcile(project(step(h, { type: 'FinishExecution', executionId: 'e1', outcome: 'failed' })), seen(60_000, null), policy, ids()).commands).to.deep.equal([]);
  });

  it('does nothing for a deleted or an unknown run', () => {
    expect(reconcile(project([]), seen(60_000, null), policy, ids()).commands).to.deep.equal([]);
    const h = step(startedWithAttempt(), { type: 'DeleteRun', by: 'acme' });
    expect(reconcile(project(h), seen(60_000, null), policy, ids()).commands).to.deep.equal([]);
  });

  it('grants a fresh execution budget after an operator retry or resume', () => {
    let h = startedWithAttempt();
    h = step(h, { type: 'FinishExecution', executionId: 'e1', outcome: 'lost', reason: 'x' });
    h = step(h, { type: 'RequestExecution', executionId: 'e2', reason: 'recover' });
    expect(executionsUsed(project(h))).to.equal(2);
    h = step(h, { type: 'FinishExecution', executionId: 'e2', outcome: 'lost', reason: 'x' });
    h = step(h, { type: 'RequestExecution', executionId: 'e3', reason: 'resume' });
    expect(executionsUsed(project(h))).to.equal(1);
  });
});

describe('closeStalled (what a resume closes first)', () => {
  it('refuses (null) while a started execution holds a live lease', () => {
    expect(closeStalled(project(startedWithAttempt()), seen(5_000, liveLease('e1', 20_000, 5_000)))).to.equal(null);
  });

  it('closes a started execution whose holder is gone as lost and abandons its attempts', () => {
    const r = closeStalled(project(startedWithAttempt()), seen(5_000, { ...liveLease('e1', 20_000, 5_000), holderAlive: false }));
    expect(r && types(r.commands)).to.deep.equal(['FinishExecution', 'AbandonAttempt']);
    expect(r?.reason).to.match(/job process is gone/);
  });

  it('closes a requested execution never launched at once, but waits out the grace for a launched one', () => {
    expect(closeStalled(project(requested()), seen(1_000, null))?.reason).to.match(/never launched/);
    const launched = step(requested(), { type: 'RecordLaunch', executionId: 'e1', backend: 'local', name: 'local:1' });
    expect(closeStalled(project(launched), seen(1_000, null))).to.equal(null);
    expect(closeStalled(project(launched), seen(1_000, null, { state: 'ended', outcome: 'failed', reason: 'exit 1' }))?.reason).to.match(/exit 1/);
    expect(types(closeStalled(project(launched), seen(GRACE_MS + 5_000, null))?.commands ?? [])).to.deep.equal(['FinishExecution']);
  });

  it('has nothing to close when no execution is unfinished', () => {
    let h = startedWithAttempt();
    h = step(h, { type: 'FinishExecution', executionId: 'e1', outcome: 'interrupted' });
    expect(closeStalled(project(h), seen(1_000, null))).to.deep.equal({ commands: [], reason: null });
  });
});
