/**
 * Every run ends: the real orchestrator with its reconciler sweeping every
 * second, the local launcher in process mode with no task retries, and the
 * real job. `kill -9` of the job process mid-run leaves an open execution
 * nobody will close; the reconciler closes it `lost` and recovers the run
 * with a new execution (it succeeds), or — with RUN_MAX_EXECUTIONS=1 — fails
 * it `executions_exhausted` with nothing left open. Both well within the
 * lease TTL plus one sweep interval.
 */
import { expect } from 'chai';
import type { RunState } from '../../shared/domain/run-state.ts';
import { startLocalOrchestrator, type LocalOrchestrator } from '../support/local-orchestrator.ts';
import { build, call, KEYS, PARAMS, waitUntil } from '../support/orchestrator.ts';

const SWEEP_S = 1;
/** The job's lease TTL (30 s by default): the reconciler must not need more than it plus one sweep. */
const LEASE_TTL_MS = 30_000;

async function runJson(o: LocalOrchestrator, runId: string): Promise<RunState> {
  return (await call<RunState>(o.url, 'GET', `/runs/${runId}/run.json`)).body;
}

/** Starts a build, waits until a node succeeded with the job still running, kills the job with SIGKILL; returns when. */
async function buildAndKill(o: LocalOrchestrator, key: string, company: string): Promise<{ runId: string; killedAt: number }> {
  const r = await build(o.url, key, { params: { ...PARAMS, company } });
  expect(r.status).to.equal(202);
  const runId = r.body.runId;
  const task = await waitUntil(async () => {
    const s = await runJson(o, runId);
    const running = o.launcher.running().find((t) => t.runId === runId);
    return s.progress.done >= 1 && s.status === 'running' && running ? running : null;
  }, 'the job to be mid-run', 30_000, 20);
  process.kill(task.pid, 'SIGKILL');
  return { runId, killedAt: Date.now() };
}

describe('liveness: a killed job is noticed and its run ends', function () {
  this.timeout(90_000);
  let o: LocalOrchestrator | null = null;
  afterEach(async () => {
    await o?.close();
    o = null;
  });

  const start = async (env: Record<string, string>) => {
    o = await startLocalOrchestrator({
      offlineLatencyMs: 150, version: 'liveness', maxRetries: 0, reconcile: true,
      env: { RECONCILE_INTERVAL_S: String(SWEEP_S), LAUNCH_GRACE_S: '5', ...env },
    });
    return o;
  };

  it('kill -9 of the job mid-run → the execution is closed lost, a new one (reason recover) finishes the run', async () => {
    const orch = await start({});
    const key = KEYS.acme;
    const { runId, killedAt } = await buildAndKill(orch, key, 'Liveness Recover');
    const recoveredAt = await waitUntil(async () => {
      const s = await runJson(orch, runId);
      return s.executions.some((e) => e.reason === 'recover') ? Date.now() : null;
    }, 'a recover execution', LEASE_TTL_MS + SWEEP_S * 1000, 50);
    const state = await waitUntil(async () => {
      const s = await runJson(orch, runId);
      return s.status === 'succeeded' ? s : null;
    }, 'the recovered run to succeed', 60_000, 100);
    const doneAt = Date.now();
    expect(state.executions.map((e) => [e.reason, e.outcome])).to.deep.equal([['build', 'lost'], ['recover', 'succeeded']]);
    expect(state.executions[0]?.endReason).to.be.a('string').and.not.equal('');
    expect(state.progress).to.deep.equal({ done: state.progress.total, total: state.progress.total });
    process.stderr.write(`      recovery: kill → recover requested in ${recoveredAt - killedAt} ms, run succeeded ${doneAt - killedAt} ms after the kill\n`);
    expect(recoveredAt - killedAt).to.be.below(LEASE_TTL_MS + SWEEP_S * 1000);
    // The job does not tidy the active index; the next sweep does.
    await waitUntil(async () => !(await orch.store.activeRuns.list({ limit: 10 })).runIds.includes(runId), 'the run to leave the active index', SWEEP_S * 1000 + 2_000);
  });

  it('with RUN_MAX_EXECUTIONS=1 the run fails executions_exhausted, with no execution or attempt left open', async () => {
    const orch = await start({ RUN_MAX_EXECUTIONS: '1' });
    const key = KEYS.acme;
    const { runId, killedAt } = await buildAndKill(orch, key, 'Liveness Exhausted');
    const state = await waitUntil(async () => {
      const s = await runJson(orch, runId);
      return s.status === 'failed' ? s : null;
    }, 'the run to fail', LEASE_TTL_MS + SWEEP_S * 1000, 50);
    const failedAt = Date.now();
    process.stderr.write(`      exhausted: kill → run.failed in ${failedAt - killedAt} ms\n`);
    expect(state.failure?.code).to.equal('executions_exhausted');
    expect(state.executions.every((e) => e.outcome !== null)).to.equal(true);
    expect(state.executions.map((e) => e.outcome)).to.deep.equal(['lost']);
    expect(Object.values(state.nodes).filter((n) => n.status === 'running')).to.deep.equal([]);
    expect(Object.values(state.nodes).every((n) => n.lastAttempt === null || n.lastAttempt.status !== 'running')).to.equal(true);
  });
});
