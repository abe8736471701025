import { expect } from 'chai';
import type { Command } from '../../shared/domain/decide.ts';
import type { StoredEvent } from '../../shared/domain/events.ts';
import { nextStep, retryNotBefore, type InflightAttempt, type NextStep } from '../../shared/domain/next-step.ts';
import { project } from '../../shared/domain/run-state.ts';
import { createdData, givenRun, NOW, run, step, TEST_POLICY, type ExecutionGiven } from '../support/decider.ts';

/** A run of a small graph, its execution e1 started: `graph(['a', []], ['b', ['a']])`. */
const graph = (...nodes: [string, string[]][]): Command[] => [
  { type: 'CreateRun', data: createdData({ nodes: nodes.map(([id, deps]) => ({ id, deps, maxAttempts: 3 })) }) },
  { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
  { type: 'StartExecution', executionId: 'e1' },
];
const start = (node: string): Command => ({ type: 'StartAttempt', node, executionId: 'e1' });
const succeed = (node: string, attempt = 1): Command => ({ type: 'SucceedAttempt', node, attempt, durationMs: 1, artifacts: [] });
const fail = (node: string, retryable: boolean, attempt = 1): Command => ({
  type: 'FailAttempt',
  node,
  attempt,
  durationMs: 1,
  error: { code: retryable ? 'model_unavailable' : 'bad_request', message: 'x', retryable },
});

/** The same graph with a time limit per node (ms). */
const timed = (limits: Record<string, number>, ...nodes: [string, string[]][]): Command[] => [
  { type: 'CreateRun', data: createdData({ nodes: nodes.map(([id, deps]) => ({ id, deps, maxAttempts: 3, ...(limits[id] ? { timeoutMs: limits[id] } : {}) })), deadlineAt: '2026-11-27T11:00:00.000Z' }) },
  { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
  { type: 'StartExecution', executionId: 'e1' },
];

/** a → (b, c, d, e) → f */
const fan = graph(['a', []], ['b', ['a']], ['c', ['a']], ['d', ['a']], ['e', ['a']], ['f', ['b', 'c', 'd', 'e']]);
const fanned = [...fan, start('a'), succeed('a')];
const inBackoff = [...fan, start('a'), fail('a', true)];
const oneFailed = [...fanned, start('b'), start('c'), fail('b', false)];
const done = [...fanned, ...['b', 'c', 'd', 'e', 'f'].flatMap((n) => [start(n), succeed(n)])];

interface Row {
  name: string;
  given: Command[];
  when?: ExecutionGiven;
  then: NextStep;
}

const table: Row[] = [
  // Starting
  { name: 'a fresh run starts its root', given: fan, then: { type: 'wait', start: ['a'], until: null } },
  { name: 'ready nodes start up to the concurrency', given: fanned, then: { type: 'wait', start: ['b', 'c'], until: null } },
  { name: 'attempts in flight count against the concurrency', given: [...fanned, start('b')], when: { inflight: ['b'] }, then: { type: 'wait', start: ['c'], until: null } },
  { name: 'a full execution starts nothing and waits', given: [...fanned, start('b'), start('c')], when: { inflight: ['b', 'c'] }, then: { type: 'wait', start: [], until: null } },
  { name: 'a wider concurrency starts every ready node', given: fanned, when: { concurrency: 8 }, then: { type: 'wait', start: ['b', 'c', 'd', 'e'], until: null } },
  { name: 'a node waits for its deps', given: [...fanned, start('b'), succeed('b')], when: { concurrency: 8 }, then: { type: 'wait', start: ['c', 'd', 'e'], until: null } },
  // Backoff
  { name: 'a node in backoff waits until its not-before', given: inBackoff, when: { notBefore: { a: NOW + 500 } }, then: { type: 'wait', start: [], until: NOW + 500 } },
  { name: 'a node whose backoff ended starts', given: inBackoff, when: { notBefore: { a: NOW } }, then: { type: 'wait', start: ['a'], until: null } },
  { name: 'a replay (no backoff held) retries at once', given: inBackoff, then: { type: 'wait', start: ['a'], until: null } },
  {
    name: 'the earliest backoff is waited for while others start',
    given: [...fanned, start('b'), fail('b', true), start('c'), fail('c', true)],
    when: { notBefore: { b: NOW + 900, c: NOW + 300 } },
    then: { type: 'wait', start: ['d', 'e'], until: NOW + 300 },
  },
  // Failure
  { name: 'a failed node stops new starts while others run', given: oneFailed, when: { inflight: ['c'] }, then: { type: 'wait', start: [], until: null } },
  { name: 'the run fails once nothing runs', given: oneFailed, then: { type: 'fail', node: 'b', reason: 'node b failed: bad_request' } },
  // Blocked: the execution can start nothing (the run's params no longer parse)
  { name: 'a blocked execution fails the run with the reason', given: fanned, when: { blocked: 'params no longer valid' }, then: { type: 'fail', node: null, reason: 'params no longer valid' } },
  { name: 'a blocked execution still confirms a cancel', given: [...fan, { type: 'RequestCancel', by: 'op' }], when: { blocked: 'x' }, then: { type: 'cancel', stop: [] } },
  // Attempt time limits (a: 1000 ms, b: 5000 ms, c: none)
  {
    name: 'an attempt within its limit waits, waking at its expiry',
    given: [...timed({ a: 1000 }, ['a', []]), start('a')],
    when: { inflight: ['a'], startedAt: { a: NOW - 400 } },
    then: { type: 'wait', start: [], until: NOW + 600 },
  },
  {
    name: 'an attempt past its limit is timed out',
    given: [...timed({ a: 1000 }, ['a', []]), start('a')],
    when: { inflight: ['a'], startedAt: { a: NOW - 1000 } },
    then: { type: 'timeout', attempts: [{ node: 'a', attempt: 1, limitMs: 1000 }] },
  },
  {
    name: 'only the attempts past their limit time out; a node without a limit never does',
    given: [...timed({ a: 1000, b: 5000 }, ['a', []], ['b', []], ['c', []]), start('a'), start('b'), start('c')],
    when: { inflight: ['a', 'b', 'c'], concurrency: 3, startedAt: { a: NOW - 1500, b: NOW - 1500, c: NOW - 999_999 } },
    then: { type: 'timeout', attempts: [{ node: 'a', attempt: 1, limitMs: 1000 }] },
  },
  {
    name: 'the nearest expiry is the wait’s until, before a later backoff',
    given: [...timed({ a: 1000, b: 5000 }, ['a', []], ['b', []], ['c', []]), start('a'), start('b'), start('c'), fail('c', true)],
    when: { inflight: ['a', 'b'], concurrency: 3, startedAt: { a: NOW - 100, b: NOW - 4500 }, notBefore: { c: NOW + 2000 } },
    then: { type: 'wait', start: [], until: NOW + 500 },
  },
  {
    name: 'a retry of a timed-out attempt counts its own limit from its own start',
    given: [...timed({ a: 1000 }, ['a', []]), start('a'), fail('a', true), start('a')],
    when: { inflight: ['a'], startedAt: { a: NOW - 200 } },
    then: { type: 'wait', start: [], until: NOW + 800 },
  },
  {
    name: 'a failed node still lets what runs time out',
    given: [...timed({ b: 1000 }, ['a', []], ['b', []]), start('a'), start('b'), fail('a', false)],
    when: { inflight: ['b'], startedAt: { b: NOW - 1000 } },
    then: { type: 'timeout', attempts: [{ node: 'b', attempt: 1, limitMs: 1000 }] },
  },
  {
    name: 'a failed node waits for what runs until its expiry',
    given: [...timed({ b: 1000 }, ['a', []], ['b', []]), start('a'), start('b'), fail('a', false)],
    when: { inflight: ['b'], startedAt: { b: NOW - 300 } },
    then: { type: 'wait', start: [], until: NOW + 700 },
  },
  // Run deadline (deadlineAt 11:00, one hour after creation)
  {
    name: 'before the deadline: the wait wakes at the deadline when nothing nearer',
    given: fanned,
    when: { deadline: { at: NOW + 5000, seconds: 3600 } },
    then: { type: 'wait', start: ['b', 'c'], until: NOW + 5000 },
  },
  {
    name: 'past the deadline: stop what runs and fail the run, code deadline',
    given: [...timed({}, ['a', []], ['b', ['a']], ['c', ['a']]), start('a'), succeed('a'), start('b'), start('c')],
    when: { inflight: ['b', 'c'], deadline: { at: NOW, seconds: 3600 } },
    then: {
      type: 'deadline',
      stop: ['b', 'c'],
      reason: 'The run passed its deadline of 2026-11-27T11:00:00.000Z (RUN_DEADLINE_S=3600) before it finished: 1 of 3 steps were done.',
    },
  },
  {
    name: 'past the deadline with nothing running: fail at once, even when blocked or failed',
    given: [...timed({}, ['a', []], ['b', []]), start('a'), fail('a', false)],
    when: { blocked: 'x', deadline: { at: NOW - 1, seconds: 60 } },
    then: { type: 'deadline', stop: [], reason: 'The run passed its deadline of 2026-11-27T11:00:00.000Z (RUN_DEADLINE_S=60) before it finished: 0 of 2 steps were done.' },
  },
  {
    name: 'a deadline outranks an attempt past its limit',
    given: [...timed({ a: 10 }, ['a', []]), start('a')],
    when: { inflight: ['a'], startedAt: { a: NOW - 50 }, deadline: { at: NOW, seconds: 1 } },
    then: { type: 'deadline', stop: ['a'], reason: 'The run passed its deadline of 2026-11-27T11:00:00.000Z (RUN_DEADLINE_S=1) before it finished: 0 of 1 steps were done.' },
  },
  {
    name: 'a cancel outranks the deadline',
    given: [...fanned, start('b'), { type: 'RequestCancel', by: 'op' }],
    when: { inflight: ['b'], deadline: { at: NOW - 1, seconds: 1 } },
    then: { type: 'cancel', stop: ['b'] },
  },
  {
    name: 'a finished run ignores its deadline',
    given: [...done, { type: 'CompleteRun' }],
    when: { deadline: { at: NOW - 1, seconds: 1 } },
    then: { type: 'finished', outcome: 'succeeded' },
  },
  // Success
  { name: 'all succeeded and nothing runs: complete', given: done, then: { type: 'complete' } },
  { name: 'all succeeded: complete, even when blocked', given: done, when: { blocked: 'x' }, then: { type: 'complete' } },
  { name: 'all succeeded in the view but an attempt not yet settled: wait', given: done, when: { inflight: ['f'] }, then: { type: 'wait', start: [], until: null } },
  // Cancel
  { name: 'cancel requested: stop what runs, then confirm', given: [...fanned, start('b'), start('c'), { type: 'RequestCancel', by: 'op' }], when: { inflight: ['b', 'c'] }, then: { type: 'cancel', stop: ['b', 'c'] } },
  { name: 'cancel requested with nothing running: confirm', given: [...fan, { type: 'RequestCancel', by: 'op' }], then: { type: 'cancel', stop: [] } },
  { name: 'a deleted run is cancelled too', given: [...fanned, start('b'), { type: 'DeleteRun', by: 'op' }], when: { inflight: ['b'] }, then: { type: 'cancel', stop: ['b'] } },
  {
    name: 'only cancelled nodes left: confirm the cancel',
    given: [...graph(['a', []], ['b', []]), start('a'), succeed('a'), start('b'), { type: 'CancelAttempt', node: 'b', attempt: 1, durationMs: 1 }],
    then: { type: 'cancel', stop: [] },
  },
  // Terminal
  { name: 'completed: nothing to do', given: [...done, { type: 'CompleteRun' }], then: { type: 'finished', outcome: 'succeeded' } },
  { name: 'failed: nothing to do', given: [...oneFailed, { type: 'FailRun', node: 'b', reason: 'x' }], when: { inflight: ['c'] }, then: { type: 'finished', outcome: 'failed' } },
  { name: 'cancelled: nothing to do, even when a cancel was asked', given: [...fanned, { type: 'RequestCancel', by: 'op' }, { type: 'ConfirmCancel' }], then: { type: 'finished', outcome: 'cancelled' } },
];

describe('nextStep', () => {
  for (const row of table) {
    it(row.name, () => {
      givenRun(run(row.given)).when(row.when).then(row.then);
    });
  }

  it('drives the ScenarioForge graph to completion, never past the concurrency', () => {
    // The runner's loop without I/O: start what the scheduler says; when it only waits, the oldest attempt succeeds.
    let history: StoredEvent[] = run([
      { type: 'CreateRun', data: createdData() },
      { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
      { type: 'StartExecution', executionId: 'e1' },
    ]);
    const inflight = new Map<string, InflightAttempt>();
    const policy = { ...TEST_POLICY, concurrency: 3 };
    const starts: string[][] = [];
    for (let turn = 0; turn < 100; turn++) {
      const next = nextStep(project(history), NOW, policy, { inflight, notBefore: new Map() });
      if (next.type === 'finished') break;
      if (next.type === 'complete') history = step(history, { type: 'CompleteRun' });
      else if (next.type !== 'wait') expect.fail(`unexpected step ${next.type}`);
      else if (next.start.length > 0) {
        starts.push(next.start);
        for (const id of next.start) {
          history = step(history, { type: 'StartAttempt', node: id, executionId: 'e1' });
          inflight.set(id, { attempt: 1, startedAt: NOW });
        }
        expect(inflight.size).to.be.at.most(3);
      } else {
        const [oldest] = inflight.keys();
        if (!oldest) expect.fail('waits with nothing running');
        history = step(history, { type: 'SucceedAttempt', node: oldest, attempt: 1, durationMs: 1, artifacts: [] });
        inflight.delete(oldest);
      }
    }
    expect(project(history).status).to.equal('succeeded');
    expect(starts.slice(0, 4)).to.deep.equal([['charter'], ['drivers'], ['uncertainties'], ['scenario_a', 'scenario_b', 'scenario_c']]);
    expect(starts.flat()).to.have.length(12);
  });
});

describe('retryNotBefore', () => {
  const rows: { count: number; draw: number; retryAfterMs?: number; wait: number }[] = [
    { count: 1, draw: 0.5, wait: 500 }, // uniform in [0, base)
    { count: 3, draw: 0.5, wait: 2000 }, // [0, base·2²)
    { count: 10, draw: 0.999, wait: 29_970 }, // capped at max
    { count: 2, draw: 0, wait: 0 },
    { count: 1, draw: 0.5, retryAfterMs: 5000, wait: 5000 }, // the model's retryAfter is honoured
    { count: 6, draw: 0.5, retryAfterMs: 100, wait: 15_000 }, // but never shortens the (capped) backoff
  ];
  for (const r of rows) {
    it(`failure ${r.count}, draw ${r.draw}${r.retryAfterMs ? `, retryAfter ${r.retryAfterMs}` : ''} → waits ${r.wait} ms`, () => {
      const failure = { count: r.count, ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}) };
      expect(retryNotBefore(NOW, failure, TEST_POLICY.retry, () => r.draw)).to.equal(NOW + r.wait);
    });
  }
});
