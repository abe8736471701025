import { expect } from 'chai';
import { validatePipeline, PipelineError, downstreamOf, criticalPath } from '../../shared/domain/pipeline.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { createdData, given, run, step, succeedAll } from '../support/decider.ts';

const created = () => run([{ type: 'CreateRun', data: createdData() }]);
const started = () =>
  run([
    { type: 'CreateRun', data: createdData() },
    { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
    { type: 'StartExecution', executionId: 'e1' },
  ]);

describe('decide', () => {
  it('creates a run once', () => {
    given([]).when({ type: 'CreateRun', data: createdData() }).thenTypes('run.created');
    given(created()).when({ type: 'CreateRun', data: createdData() }).thenRefused('conflict');
  });

  it('refuses commands on a run that does not exist', () => {
    given([]).when({ type: 'RequestExecution', executionId: 'e', reason: 'build' }).thenRefused('not_found');
    given([]).when({ type: 'DeleteRun', by: 'x' }).thenRefused('not_found');
  });

  it('starts only ready nodes, numbering attempts', () => {
    const h = started();
    given(h).when({ type: 'StartAttempt', node: 'drivers', executionId: 'e1' }).thenRefused('conflict', /waits for charter/);
    given(h).when({ type: 'StartAttempt', node: 'nope', executionId: 'e1' }).thenRefused('not_found', /unknown node/);
    const [e] = given(h).when({ type: 'StartAttempt', node: 'charter', executionId: 'e1' }).thenTypes('node.attempt.started');
    expect(e?.data).to.deep.equal({ node: 'charter', attempt: 1, executionId: 'e1' });
  });

  it('retries a retryable failure within the budget, then fails the node', () => {
    let h = started();
    for (let attempt = 1; attempt <= 3; attempt++) {
      h = step(h, { type: 'StartAttempt', node: 'charter', executionId: 'e1' });
      const fail = given(h).when({ type: 'FailAttempt', node: 'charter', attempt, durationMs: 1, error: { code: 'model_unavailable', message: '503', retryable: true } });
      const [ev] = fail.thenTypes('node.attempt.failed');
      expect((ev?.data as { willRetry: boolean }).willRetry).to.equal(attempt < 3);
      expect(fail.thenState().nodes.charter?.status).to.equal(attempt < 3 ? 'pending' : 'failed');
      h = step(h, { type: 'FailAttempt', node: 'charter', attempt, durationMs: 1, error: { code: 'model_unavailable', message: '503', retryable: true } });
    }
    given(h).when({ type: 'StartAttempt', node: 'charter', executionId: 'e1' }).thenRefused('conflict', /failed/);
  });

  it('fails a node at once on a terminal error', () => {
    const h = run([
      { type: 'CreateRun', data: createdData() },
      { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
      { type: 'StartExecution', executionId: 'e1' },
      { type: 'StartAttempt', node: 'charter', executionId: 'e1' },
    ]);
    const s = given(h)
      .when({ type: 'FailAttempt', node: 'charter', attempt: 1, durationMs: 1, error: { code: 'permission_denied', message: '403', retryable: false } })
      .thenState();
    expect(s.nodes.charter?.status).to.equal('failed');
  });

  it('abandons attempts left running by a dead execution', () => {
    const h = run([
      { type: 'CreateRun', data: createdData() },
      { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
      { type: 'StartExecution', executionId: 'e1' },
      { type: 'StartAttempt', node: 'charter', executionId: 'e1' },
    ]);
    const events = given(h).when({ type: 'StartExecution', executionId: 'e1', taskAttempt: 1 }).thenTypes('execution.started', 'node.attempt.abandoned');
    expect(events[1]?.data).to.deep.include({ node: 'charter', attempt: 1 });
    const s = given(h).when({ type: 'StartExecution', executionId: 'e1', taskAttempt: 1 }).thenState();
    expect(s.nodes.charter).to.deep.include({ status: 'pending', attempts: 1 });
    expect(s.nodes.charter?.lastAttempt?.status).to.equal('abandoned');
  });

  it('closes another execution that never finished when a new one starts', () => {
    const h = run([
      { type: 'CreateRun', data: createdData() },
      { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
      { type: 'StartExecution', executionId: 'e1' },
    ]);
    // Started by hand beside a dead e1 (no request on record): the request is recorded, e1 closed.
    given(h).when({ type: 'StartExecution', executionId: 'e2' }).thenTypes('execution.requested', 'execution.finished', 'execution.started');
  });

  it('refuses a resume or a recovery while an execution is unfinished, and allows it once that one is closed', () => {
    const h = run([
      { type: 'CreateRun', data: createdData() },
      { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
    ]);
    given(h).when({ type: 'RequestExecution', executionId: 'e2', reason: 'resume' }).thenRefused('conflict', /e1 of this run is still starting/);
    const started = step(h, { type: 'StartExecution', executionId: 'e1' });
    given(started).when({ type: 'RequestExecution', executionId: 'e2', reason: 'recover' }).thenRefused('conflict', /still running/);
    const lost = step(started, { type: 'FinishExecution', executionId: 'e1', outcome: 'lost', reason: 'its lease expired' });
    expect(given(lost).state.executions[0]).to.deep.include({ outcome: 'lost', endReason: 'its lease expired' });
    given(lost).when({ type: 'RequestExecution', executionId: 'e2', reason: 'resume' }).thenTypes('execution.requested');
  });

  it('refuses to start an execution the log closed as lost or a later one overtook', () => {
    const h = run([
      { type: 'CreateRun', data: createdData() },
      { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
      { type: 'StartExecution', executionId: 'e1' },
      { type: 'FinishExecution', executionId: 'e1', outcome: 'lost', reason: 'its lease expired' },
      { type: 'RequestExecution', executionId: 'e2', reason: 'recover' },
    ]);
    given(h).when({ type: 'StartExecution', executionId: 'e1', taskAttempt: 2 }).thenRefused('conflict', /closed as lost or overtaken/);
    const overtaken = run([
      { type: 'CreateRun', data: createdData() },
      { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
      { type: 'StartExecution', executionId: 'e1' },
      { type: 'StartExecution', executionId: 'e2' },
    ]);
    given(overtaken).when({ type: 'StartExecution', executionId: 'e1' }).thenRefused('conflict', /overtaken/);
    given(overtaken).when({ type: 'StartExecution', executionId: 'e2', taskAttempt: 2 }).thenTypes('execution.started');
  });

  it('records heartbeats of an open execution only', () => {
    const h = run([
      { type: 'CreateRun', data: createdData() },
      { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
    ]);
    given(h).when({ type: 'RecordHeartbeat', executionId: 'e1', leaseExpiresAt: '2026-11-27T10:00:30.000Z' }).thenTypes();
    const started = step(h, { type: 'StartExecution', executionId: 'e1' });
    const s = given(started).when({ type: 'RecordHeartbeat', executionId: 'e1', leaseExpiresAt: '2026-11-27T10:00:30.000Z' }).thenState();
    expect(s.executions[0]).to.deep.include({ leaseExpiresAt: '2026-11-27T10:00:30.000Z', heartbeatAt: '2026-11-27T10:00:00.000Z' });
  });

  it('gives a failed run a machine-readable code beside its reason', () => {
    const h = run([{ type: 'CreateRun', data: createdData() }]);
    expect(given(h).when({ type: 'FailRun', node: 'charter', reason: 'node charter failed: x' }).thenState().failure).to.deep.equal({
      node: 'charter',
      reason: 'node charter failed: x',
      code: 'node_failed',
    });
    expect(given(h).when({ type: 'FailRun', node: null, code: 'deadline', reason: 'past its deadline' }).thenState().failure?.code).to.equal('deadline');
  });

  it('operator retry resets the node and everything downstream with a fresh budget', () => {
    const done = succeedAll(started(), 'e1');
    expect(given(done).state.progress).to.deep.equal({ done: 12, total: 12 });
    given(done).when({ type: 'RetryNode', node: 'charter', by: 'op' }).thenRefused('conflict', /succeeded/);

    let h = step(started(), { type: 'StartAttempt', node: 'charter', executionId: 'e1' });
    h = step(h, { type: 'SucceedAttempt', node: 'charter', attempt: 1, durationMs: 1, artifacts: [{ name: 'charter.json', sha256: 'x', size: 1, contentType: 'application/json' }] });
    h = step(h, { type: 'StartAttempt', node: 'drivers', executionId: 'e1' });
    h = step(h, { type: 'FailAttempt', node: 'drivers', attempt: 1, durationMs: 1, error: { code: 'bad_request', message: '400', retryable: false } });
    given(h).when({ type: 'RetryNode', node: 'drivers', by: 'op' }).thenRefused('conflict', /wait for it to stop/);
    h = step(h, { type: 'FailRun', node: 'drivers', reason: 'drivers failed' });
    given(h).when({ type: 'RetryNode', node: 'charter', by: 'op' }).thenRefused('conflict', /only a failed or cancelled node/);
    given(h).when({ type: 'RetryNode', node: 'ghost', by: 'op' }).thenRefused('not_found', /unknown node/);
    const [ev] = given(h).when({ type: 'RetryNode', node: 'drivers', by: 'op' }).thenTypes('node.retry.requested');
    expect((ev?.data as { reset: string[] }).reset).to.deep.equal(['drivers']);
    const after = given(h).when({ type: 'RetryNode', node: 'drivers', by: 'op' }).thenState();
    expect(after.status).to.equal('queued');
    expect(after.failure).to.equal(null);
    expect(after.nodes.drivers).to.deep.include({ status: 'pending', budgetUsed: 0, attempts: 1 });
    expect(after.nodes.charter?.status).to.equal('succeeded');
  });

  it('a retry of an upstream node resets its succeeded dependents', () => {
    let h = started();
    for (const node of ['charter', 'drivers', 'uncertainties']) {
      h = step(h, { type: 'StartAttempt', node, executionId: 'e1' });
      h = step(h, { type: 'SucceedAttempt', node, attempt: 1, durationMs: 1, artifacts: [] });
    }
    h = step(h, { type: 'StartAttempt', node: 'scenario_a', executionId: 'e1' });
    h = step(h, { type: 'CancelAttempt', node: 'scenario_a', attempt: 1, durationMs: 1 });
    h = step(h, { type: 'ConfirmCancel' });
    const s = given(h).when({ type: 'RetryNode', node: 'scenario_a', by: 'op' }).thenState();
    expect(s.nodes.scenario_a?.status).to.equal('pending');
    expect(s.nodes.report?.status).to.equal('pending');
    expect(s.nodes.uncertainties?.status).to.equal('succeeded');
    expect(s.nodes.scenario_b?.status, 'a sibling stopped by the cancel resumes too').to.equal('pending');
  });

  it('cancels at once when nothing runs, by request when an execution runs', () => {
    given(created()).when({ type: 'RequestCancel', by: 'op' }).thenTypes('run.cancel.requested', 'run.cancelled');
    given(started()).when({ type: 'RequestCancel', by: 'op' }).thenTypes('run.cancel.requested');
    const done = succeedAll(started(), 'e1');
    const completed = [...done, { v: 1, seq: done.length + 1, id: 'c', type: 'run.completed', at: 'x', data: {} } as never];
    given(completed).when({ type: 'RequestCancel', by: 'op' }).thenRefused('conflict');
  });

  it('deletes once', () => {
    const h = run([{ type: 'CreateRun', data: createdData() }, { type: 'DeleteRun', by: 'op' }]);
    expect(given(h).state.deleted).to.equal(true);
    given(h).when({ type: 'DeleteRun', by: 'op' }).thenRefused('not_found', /already deleted/);
    given(h).when({ type: 'RequestExecution', executionId: 'e9', reason: 'resume' }).thenRefused('not_found');
  });
});

describe('pipeline graph', () => {
  it('validates the ScenarioForge graph and orders it', () => {
    const order = validatePipeline(SCENARIOFORGE_PIPELINE);
    expect(order[0]).to.equal('charter');
    expect(order.indexOf('report')).to.be.greaterThan(order.indexOf('wind_tunnel'));
  });

  it('refuses unknown deps, duplicates and cycles with a clear message', () => {
    expect(() => validatePipeline({ version: 'x', nodes: [{ id: 'a', deps: ['b'] }] })).to.throw(PipelineError, /unknown node "b"/);
    expect(() => validatePipeline({ version: 'x', nodes: [{ id: 'a', deps: [] }, { id: 'a', deps: [] }] })).to.throw(PipelineError, /twice/);
    expect(() =>
      validatePipeline({ version: 'x', nodes: [{ id: 'a', deps: ['c'] }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['b'] }] }),
    ).to.throw(PipelineError, /cycle: a → c → b → a/);
  });

  it('computes downstream sets and the critical path', () => {
    expect(downstreamOf(SCENARIOFORGE_PIPELINE.nodes, 'wind_tunnel')).to.deep.equal(['wind_tunnel', 'wind_tunnel_chart', 'report']);
    const model = new Set(['matrix', 'wind_tunnel_chart']);
    expect(criticalPath(SCENARIOFORGE_PIPELINE.nodes, (id) => (model.has(id) ? 0 : 200))).to.equal(1400);
  });
});
