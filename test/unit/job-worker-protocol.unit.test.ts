import { expect } from 'chai';
import { isFromWorker, isToWorker } from '../../shared/job-worker-protocol.ts';

describe('job worker protocol (unit)', () => {
  const start = { type: 'start', attemptId: 'local-abcde-0', runId: 'r', executionId: 'e', cloudRunExecution: 'local-abcde', taskAttempt: 0 };

  it('accepts the messages the launcher sends, and nothing else', () => {
    expect(isToWorker(start)).to.equal(true);
    expect(isToWorker({ type: 'stop', attemptId: 'local-abcde-0' })).to.equal(true);
    for (const bad of [null, 'start', [], {}, { ...start, type: 'run' }, { ...start, attemptId: 7 }, { ...start, taskAttempt: 1.5 },
      { ...start, taskAttempt: '0' }, { ...start, runId: undefined }, { type: 'stop' }]) {
      expect(isToWorker(bad), JSON.stringify(bad)).to.equal(false);
    }
  });

  it('accepts the messages the worker sends, and nothing else', () => {
    expect(isFromWorker({ type: 'ready' })).to.equal(true);
    expect(isFromWorker({ type: 'ended', attemptId: 'a', exitCode: 0, outcome: 'succeeded' })).to.equal(true);
    for (const bad of [undefined, { type: 'ended', attemptId: 'a', exitCode: '0', outcome: 'x' }, { type: 'ended', exitCode: 0, outcome: 'x' },
      { type: 'ended', attemptId: 'a', exitCode: 0 }, { type: 'hello' }]) {
      expect(isFromWorker(bad), JSON.stringify(bad)).to.equal(false);
    }
  });
});
