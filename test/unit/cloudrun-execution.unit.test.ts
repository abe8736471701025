/**
 * The Execution → observation mapping on shapes the stub does not produce:
 * numeric enums, a cancel in progress, a completion without a terminal
 * condition, an execution still pending.
 */
import { expect } from 'chai';
import { isoOfTimestamp, observationOfExecution } from '../../orchestrator/launchers/cloudrun-execution.ts';

const NAME = 'projects/p/locations/l/jobs/j/executions/j-abcde';
const DONE = { seconds: '1790000000', nanos: 250_000_000 };

describe('Cloud Run execution → observation', () => {
  it('reads numeric enums as their names (CONDITION_FAILED, CANCELLED)', () => {
    const o = observationOfExecution({
      name: NAME, taskCount: 1, cancelledCount: 1, retriedCount: 0, completionTime: DONE,
      conditions: [{ type: 'Completed', state: 3, executionReason: 3, message: 'The execution was cancelled.' }],
    });
    expect(o).to.deep.equal({
      state: 'ended', outcome: 'cancelled', endedAt: '2026-09-21T14:13:20.250Z',
      reason: 'Cloud Run execution j-abcde was cancelled: 1 task cancelled with no retry (The execution was cancelled.)',
    });
  });

  it('a cancel in progress is still running; once completed it is cancelled', () => {
    const cancelling = { name: NAME, taskCount: 1, runningCount: 1, conditions: [{ type: 'Completed', state: 'CONDITION_FAILED' as const, executionReason: 'CANCELLING' as const }] };
    expect(observationOfExecution(cancelling)).to.deep.equal({ state: 'running' });
    expect(observationOfExecution({ ...cancelling, runningCount: 0, cancelledCount: 1, completionTime: DONE })).to.include({ state: 'ended', outcome: 'cancelled' });
  });

  it('pending or reconciling with no completion time is running', () => {
    expect(observationOfExecution({ name: NAME, taskCount: 1, conditions: [] })).to.deep.equal({ state: 'running' });
    expect(observationOfExecution({ name: NAME, conditions: [{ type: 'Completed', state: 'CONDITION_RECONCILING' }] })).to.deep.equal({ state: 'running' });
  });

  it('completed without a terminal condition: the counts decide, plural and singular read right', () => {
    const failed = observationOfExecution({ name: NAME, taskCount: 2, succeededCount: 0, failedCount: 2, retriedCount: 1, completionTime: DONE, conditions: [] });
    expect(failed).to.include({ state: 'ended', outcome: 'failed', reason: 'Cloud Run execution j-abcde failed: 2 tasks failed after 1 retry' });
    const ok = observationOfExecution({ name: NAME, taskCount: 1, succeededCount: 1, completionTime: DONE, conditions: [] });
    expect(ok).to.include({ state: 'ended', outcome: 'succeeded' });
  });

  it('endedAt falls back to the Completed condition\'s transition time; unset timestamps are undefined', () => {
    const o = observationOfExecution({ name: NAME, succeededCount: 1, conditions: [{ type: 'Completed', state: 'CONDITION_SUCCEEDED', lastTransitionTime: DONE }] });
    expect(o).to.include({ state: 'ended', outcome: 'succeeded', endedAt: '2026-09-21T14:13:20.250Z' });
    expect(isoOfTimestamp(null)).to.equal(undefined);
    expect(isoOfTimestamp({ seconds: 0, nanos: 0 })).to.equal(undefined);
  });
});
