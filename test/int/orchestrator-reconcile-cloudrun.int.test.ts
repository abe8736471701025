/**
 * The reconciler against the Cloud Run topology's control plane: the real
 * `@google-cloud/run` launcher (REST) against the Run Admin API stub, which
 * serves executions.get. An execution the platform reports ended while the
 * run's log still has it open — failed after its task retries, cancelled, or
 * even succeeded — is closed `lost` and the run recovered with a new
 * execution (a new jobs/J:run), or failed when the budget is spent; a running
 * one is left alone.
 */
import { expect } from 'chai';
import { isEventOf } from '../../shared/domain/events.ts';
import { project } from '../../shared/domain/run-state.ts';
import { decideAndAppend } from '../../shared/run-log/decide-and-append.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { getCloudRunLauncher, type CloudRunLauncher } from '../../orchestrator/launchers/cloudrun-launcher.ts';
import { startRunAdminStub, type ExecutionStatus, type RunAdminStub } from '../support/run-admin-stub.ts';
import { build, call, KEYS, listen, PARAMS, testConfig, type Running } from '../support/orchestrator.ts';
import { ctx } from '../support/runs.ts';
import { tempDir } from '../support/temp-dir.ts';

const TOKEN = 'reconcile-token-cloudrun-0001';
const sweep = (base: string) => call<Record<string, number>>(base, 'POST', '/internal/reconcile', { headers: { authorization: `Bearer ${TOKEN}` } });

describe('reconciler × Cloud Run (the real client against the Run Admin API stub)', function () {
  this.timeout(30_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: RunStore;
  let stub: RunAdminStub;
  let launcher: CloudRunLauncher;
  let server: Running;

  const start = async (maxExecutions: number) => {
    stub = await startRunAdminStub({ project: 'P', location: 'L', job: 'J' });
    launcher = getCloudRunLauncher({ jobName: stub.jobName, apiEndpoint: stub.url });
    const config = testConfig(dir, { RECONCILE_TOKEN: TOKEN, RUN_MAX_EXECUTIONS: String(maxExecutions), LAUNCH_GRACE_S: '60' });
    server = await listen({ config, store, launcher });
  };

  /** POST /build, then play the job: started, one attempt in flight, its lease live (only the platform can tell it died). */
  const runningBuild = async (company: string) => {
    const r = await build(server.url, KEYS.acme, { params: { ...PARAMS, company } });
    expect(r.status).to.equal(202);
    const runId = r.body.runId;
    const state = project((await store.readLog(runId)).events);
    const execution = state.executions[0];
    expect(execution?.launchedAs).to.equal(stub.executions[0]?.name);
    await decideAndAppend(store, runId, [
      { type: 'StartExecution', executionId: execution!.id, cloudRunExecution: execution!.launchedAs! },
      { type: 'StartAttempt', node: 'charter', executionId: execution!.id },
    ], ctx);
    expect((await store.leases.acquire(runId, execution!.id, 60_000)).acquired).to.equal(true);
    return { runId, name: execution!.launchedAs! };
  };

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('sf-reconcile-cr-'));
    store = getLocalRunStore(dir);
  });
  afterEach(async () => {
    await server?.close();
    await launcher?.close();
    await stub?.stop();
    await new Promise((r) => setTimeout(r, 50));
    await cleanup();
  });

  const cases: { status: Exclude<ExecutionStatus, 'running'>; detail?: { retriedCount: number } }[] = [
    { status: 'failed', detail: { retriedCount: 3 } },
    { status: 'cancelled' },
    { status: 'succeeded' },
  ];
  for (const c of cases) {
    it(`an execution Cloud Run reports ${c.status}${c.detail ? ' after its retries' : ''} while the log is open: closed lost and recovered by a new execution`, async () => {
      await start(3);
      const { runId, name } = await runningBuild(`Reported ${c.status}`);
      expect((await sweep(server.url)).body, 'running: left alone').to.include({ visited: 1, closed: 0, recovered: 0 });
      stub.completeExecution(name, c.status, c.detail);
      expect((await sweep(server.url)).body).to.include({ closed: 1, recovered: 1, failed: 0 });
      const state = project((await store.readLog(runId)).events);
      expect(state.executions.map((e) => [e.reason, e.outcome])).to.deep.equal([['build', 'lost'], ['recover', null]]);
      expect(state.executions[0]?.endReason).to.be.a('string');
      // The recovery is a new Cloud Run execution, whose name is recorded for the next observation.
      expect(stub.executions).to.have.length(2);
      expect(state.executions[1]?.launchedAs).to.equal(stub.executions[1]?.name);
      expect(stub.executions[1]?.envOverrides).to.include({ RUN_ID: runId, EXECUTION_ID: state.executions[1]?.id });
    });
  }

  it('with RUN_MAX_EXECUTIONS=1 an execution reported failed fails the run (executions_exhausted), nothing left open', async () => {
    await start(1);
    const { runId, name } = await runningBuild('Exhausted');
    stub.completeExecution(name, 'failed', { retriedCount: 3 });
    expect((await sweep(server.url)).body).to.include({ closed: 1, recovered: 0, failed: 1, left: 1 });
    const log = (await store.readLog(runId)).events;
    const state = project(log);
    expect(state.status).to.equal('failed');
    expect(state.failure?.code).to.equal('executions_exhausted');
    expect(state.executions.every((e) => e.outcome !== null)).to.equal(true);
    expect(log.some((e) => isEventOf(e, 'node.attempt.abandoned'))).to.equal(true);
    expect(stub.executions).to.have.length(1);
  });
});
