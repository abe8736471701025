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
