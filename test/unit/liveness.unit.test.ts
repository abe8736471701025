/**
 * The run page's liveness line (orchestrator/public/assets/lib/liveness.js,
 * the browser module itself): given a run's log folded into run.json and the
 * clock, is the run healthy, stalled, recovering or over — and does its
 * execution count agree with the reconciler's budget (`executionsUsed`)?
 */
import { expect } from 'chai';
import type { Command } from '../../shared/domain/decide.ts';
import { decide } from '../../shared/domain/decide.ts';
import type { StoredEvent } from '../../shared/domain/events.ts';
import { executionsUsed as reconcilerExecutionsUsed } from '../../shared/domain/reconcile.ts';
import { project, type RunState } from '../../shared/domain/run-state.ts';
import { describeExecution, executionsUsed, formatClock, liveness } from '../../orchestrator/public/assets/lib/liveness.js';
import { createdData, sequenced } from '../support/decider.ts';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
const LOST = 'its lease expired at 2026-11-27T10:01:00.000Z with no renewal (no heartbeat since)';

/** A history from commands, each decided at its own offset (ms after T0). */
function history(steps: [number, Command][]): StoredEvent[] {
  const events: StoredEvent[] = [];
  let n = 0;
  for (const [at, command] of steps) {
    const ctx = { now: iso(at), newId: () => `id-${++n}` };
    events.push(...sequenced(decide(command, project(events), ctx), events.length));
  }
  return events;
}

const created: [number, Command][] = [
  [0, { type: 'CreateRun', data: createdData() }],
  [0, { type: 'RequestExecution', executionId: 'e1', reason: 'build' }],
  [2_000, { type: 'StartExecution', executionId: 'e1' }],
  [2_000, { type: 'StartAttempt', node: 'charter', executionId: 'e1' }],
];
const heartbeat = (at: number, executionId = 'e1', ttl = 30_000): [number, Command] => [at, { type: 'RecordHeartbeat', executionId, leaseExpiresAt: iso(at + ttl) }];
const lostAndRecovered = (lostAt: number, executionId: string, next: string): [number, Command][] => [
  [lostAt, { type: 'FinishExecution', executionId, outcome: 'lost', reason: LOST }],
  [lostAt, { type: 'RequestExecution', executionId: next, reason: 'recover', by: 'reconciler' }],
];

const stateOf = (steps: [number, Command][]): RunState => project(history(steps));

describe('liveness (the run page\'s "is anyone working on it?")', () => {
  it('healthy while the lease is renewed: the last heartbeat\'s age', () => {
    const run = stateOf([...created, heartbeat(10_000)]);
    const l = liveness(run, { now: T0 + 14_000 });
    expect(l).to.deep.include({ state: 'healthy', text: 'last heartbeat 4 s ago', since: iso(10_000) });
    expect(l.execution).to.deep.equal({ n: 1, of: 3 });
  });

  it('a started execution whose lease expired unrenewed is stalled since the expiry, with the recovery it will get', () => {
    const run = stateOf([...created, heartbeat(10_000)]);
    const l = liveness(run, { now: T0 + 90_000 });
    expect(l.state).to.equal('stalled');
    expect(l.text).to.equal(`Stalled since ${formatClock(iso(40_000))} — recovering (execution 2 of 3)`);
    expect(formatClock(iso(40_000))).to.match(/^\d\d:\d\d:\d\d$/);
  });

  it('after the reconciler closed it as lost: recovering with execution 2 of 3, then healthy with the count shown', () => {
    const recovering = [...created, heartbeat(10_000), ...lostAndRecovered(60_000, 'e1', 'e2')];
    const l = liveness(stateOf(recovering), { now: T0 + 61_000 });
    expect(l.state).to.equal('recovering');
    expect(l.text).to.match(/^Recovering — execution 2 of 3 requested at \d\d:\d\d:\d\d, starting$/);

    const running = [...recovering, [62_000, { type: 'StartExecution', executionId: 'e2' }] as [number, Command], heartbeat(70_000, 'e2')];
    expect(liveness(stateOf(running), { now: T0 + 75_000 })).to.deep.include({ state: 'healthy', text: 'last heartbeat 5 s ago · execution 2 of 3' });
  });

  it('a stall with the budget spent says no execution is left', () => {
    const steps = [...created, heartbeat(10_000), ...lostAndRecovered(60_000, 'e1', 'e2'), ...lostAndRecovered(120_000, 'e2', 'e3'),
      [125_000, { type: 'StartExecution', executionId: 'e3' }] as [number, Command], heartbeat(130_000, 'e3')];
    const l = liveness(stateOf(steps), { now: T0 + 200_000 });
    expect(l.state).to.equal('stalled');
    expect(l.text).to.match(/— no executions left \(3 of 3 used\): the run will be stopped$/);
    // The budget comes from the page (RUN_MAX_EXECUTIONS).
    expect(liveness(stateOf(steps), { now: T0 + 200_000, maxExecutions: 5 }).text).to.match(/recovering \(execution 4 of 5\)$/);
  });

  it('requested and not started: starting within the grace period, stalled after it', () => {
    const requested = stateOf(created.slice(0, 2));
    expect(liveness(requested, { now: T0 + 5_000 }).state).to.equal('starting');
    const late = liveness(requested, { now: T0 + 61_000, startGraceMs: 60_000 });
    expect(late.state).to.equal('stalled');
    expect(late.text).to.match(/^Stalled since \d\d:\d\d:\d\d — execution 1 of 3 has not started; launching it again$/);
  });

  it('a started execution with no heartbeat recorded yet (or a job that records none) counts as running', () => {
    expect(liveness(stateOf(created), { now: T0 + 32_000 })).to.deep.include({ state: 'healthy', text: 'running, started 30 s ago' });
  });

  it('a failed run says why in words, with its code: executions exhausted, deadline', () => {
    const reason = 'The run was stopped after using all 3 executions it may use (RUN_MAX_EXECUTIONS): the last one was lost because its job process is gone.';
    const exhausted = stateOf([...created, [9_000, { type: 'FailRun', node: null, code: 'executions_exhausted', reason }]]);
    expect(liveness(exhausted, { now: T0 + 10_000 })).to.deep.include({ state: 'failed', text: `Failed — executions exhausted: ${reason}` });
    const deadline = stateOf([...created, [9_000, { type: 'FailRun', node: null, code: 'deadline', reason: 'The run did not finish by its deadline.' }]]);
    expect(liveness(deadline, { now: T0 + 10_000 }).text).to.equal('Failed — deadline passed: The run did not finish by its deadline.');
    expect(liveness(stateOf(created), { now: T0 }).state).to.equal('healthy');
  });

  it('counts executions exactly as the reconciler does: an operator retry or resume starts a fresh budget', () => {
    const retried: [number, Command][] = [
      ...created, ...lostAndRecovered(60_000, 'e1', 'e2'),
      [61_000, { type: 'StartExecution', executionId: 'e2' }],
      [70_000, { type: 'RequestCancel', by: 'acme' }],
      [70_000, { type: 'ConfirmCancel' }],
      [70_000, { type: 'FinishExecution', executionId: 'e2', outcome: 'cancelled' }],
      [80_000, { type: 'RetryNode', node: 'charter', by: 'acme' }],
      [80_000, { type: 'RequestExecution', executionId: 'e3', reason: 'retry' }],
    ];
    const histories = [created.slice(0, 2), created, [...created, ...lostAndRecovered(60_000, 'e1', 'e2')], retried, [...retried, ...lostAndRecovered(90_000, 'e3', 'e4')]];
    for (const steps of histories) {
      const state = stateOf(steps);
      expect(executionsUsed(state), `${state.executions.map((e) => e.reason).join(',')}`).to.equal(reconcilerExecutionsUsed(state));
    }
    expect(executionsUsed(stateOf([...retried, ...lostAndRecovered(90_000, 'e3', 'e4')]))).to.equal(2);
  });

  it('lists each execution with how it ended: the lost one with its reason, the recovering one as such', () => {
    const run = stateOf([...created, heartbeat(10_000), ...lostAndRecovered(60_000, 'e1', 'e2')]);
    const [first, second] = run.executions.map((e, i) => describeExecution(e, i, run, T0 + 61_000));
    expect(first).to.deep.equal({ head: '#1 build', status: 'lost', text: `lost — ${LOST}` });
    expect(second).to.deep.include({ head: '#2 recover', status: 'starting' });
  });
});
