import { expect } from 'chai';
import { hasOpenExecution, isSettled, runExists, runVisibility } from '../../shared/domain/run-checks.ts';
import { initialState, project } from '../../shared/domain/run-state.ts';
import { BY_LINK, HttpError, requireVisibleRun } from '../../orchestrator/http-errors.ts';
import { createdData, run, step, succeedAll } from '../support/decider.ts';

const started = () =>
  run([
    { type: 'CreateRun', data: createdData() },
    { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
    { type: 'StartExecution', executionId: 'e1' },
  ]);

describe('run checks', () => {
  it('an execution is open from its start until it finishes', () => {
    const requested = run([
      { type: 'CreateRun', data: createdData() },
      { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
    ]);
    expect(hasOpenExecution(project(requested))).to.equal(false);
    expect(hasOpenExecution(project(started()))).to.equal(true);
    const finished = step(started(), { type: 'FinishExecution', executionId: 'e1', outcome: 'interrupted' });
    expect(hasOpenExecution(project(finished))).to.equal(false);
  });

  it('a run is settled when deleted, or terminal with its executions closed', () => {
    const done = succeedAll(started(), 'e1');
    const completed = step(done, { type: 'CompleteRun' });
    expect(isSettled(project(completed))).to.equal(false); // e1 has not reported its end yet
    expect(isSettled(project(step(completed, { type: 'FinishExecution', executionId: 'e1', outcome: 'succeeded' })))).to.equal(true);
    expect(isSettled(project(step(started(), { type: 'DeleteRun', by: 'acme' })))).to.equal(true);
    expect(isSettled(project(started()))).to.equal(false);
  });

  it('visibility: unknown, another tenant’s (unknown to a key), deleted, visible', () => {
    expect(runExists(initialState())).to.equal(false);
    expect(runVisibility(initialState())).to.equal('unknown');
    const live = project(started());
    expect(runVisibility(live)).to.equal('visible');
    expect(runVisibility(live, 'acme')).to.equal('visible');
    expect(runVisibility(live, 'globex')).to.equal('unknown');
    const deleted = project(step(started(), { type: 'DeleteRun', by: 'acme' }));
    expect(runVisibility(deleted)).to.equal('deleted');
    expect(runVisibility(deleted, 'globex')).to.equal('unknown');
  });

  it('the HTTP rule: 404 unknown or foreign, 410 deleted by link, a deleted run left to the owner’s commands', () => {
    const statusOf = (f: () => unknown): number | 'shown' => {
      try {
        f();
        return 'shown';
      } catch (err) {
        if (err instanceof HttpError) return err.status;
        throw err;
      }
    };
    const live = { state: project(started()) };
    const deleted = { state: project(step(started(), { type: 'DeleteRun', by: 'acme' })) };
    const owner = { by: 'owner', tenant: 'acme' } as const;
    const other = { by: 'owner', tenant: 'globex' } as const;
    expect(statusOf(() => requireVisibleRun('r', null, BY_LINK))).to.equal(404);
    expect(statusOf(() => requireVisibleRun('r', { state: initialState() }, owner))).to.equal(404);
    expect(statusOf(() => requireVisibleRun('r', live, BY_LINK))).to.equal('shown');
    expect(statusOf(() => requireVisibleRun('r', live, owner))).to.equal('shown');
    expect(statusOf(() => requireVisibleRun('r', live, other))).to.equal(404);
    expect(statusOf(() => requireVisibleRun('r', deleted, BY_LINK))).to.equal(410);
    expect(statusOf(() => requireVisibleRun('r', deleted, owner))).to.equal('shown');
    expect(statusOf(() => requireVisibleRun('r', deleted, other))).to.equal(404);
  });
});
