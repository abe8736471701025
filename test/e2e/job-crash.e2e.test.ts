import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { isEventOf } from '../../shared/domain/events.ts';
import { project } from '../../shared/domain/run-state.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import { checkLog } from '../support/log-checks.ts';
import { localJobEnv, startJob } from '../support/job-process.ts';
import { createRun } from '../support/runs.ts';
import { tempDir } from '../support/temp-dir.ts';

type Kill = { failpoint: string } | { afterMs: number };

const CASES: Kill[] = [
  { failpoint: 'execution-started:1' },
  ...[1, 2, 3, 4, 5, 6, 8, 10, 12].map((n) => ({ failpoint: `attempt-started:${n}` })),
  ...[1, 2, 3, 4, 5, 6, 7, 9, 11].map((n) => ({ failpoint: `artifacts-written:${n}` })),
  // How many commits a run makes depends on timing (group commit); the first six always happen.
  ...[1, 2, 3, 4, 5, 6].map((n) => ({ failpoint: `committed:${n}` })),
  // Within the first ~0.5 s of a run on the 20 ms model (start-up included).
  ...[40, 120, 200, 300, 400].map((afterMs) => ({ afterMs })),
];

describe('job crash convergence (SIGKILL at 30 points, then restart)', function () {
  this.timeout(300_000);
  let tmp: { dir: string; cleanup(): Promise<void> };
  before(async () => {
    tmp = await tempDir('sf-crash-');
  });
  after(async () => tmp.cleanup());

  it('has 30 distinct kill points', () => expect(CASES).to.have.length(30));

  for (const kill of CASES) {
    const label = 'failpoint' in kill ? `at ${kill.failpoint}` : `${kill.afterMs} ms in`;
    it(`killed ${label}: the restarted job finishes the run, nothing doubled or missing`, async () => {
      const store = getLocalRunStore(tmp.dir);
      const { runId, executionId } = await createRun(store);
      // Timed kills use a slower model so the run is surely still going when the kill lands.
      const first = startJob(localJobEnv(tmp.dir, runId, executionId, 'failpoint' in kill ? { SCENARIOFORGE_FAILPOINT: kill.failpoint } : { OFFLINE_MODEL_LATENCY_MS: '80' }));
      if ('afterMs' in kill) setTimeout(() => first.child.kill('SIGKILL'), kill.afterMs);
      const died = await first.exit;
      expect(died.signal, `the first job was killed (${died.stderr.slice(0, 300)})`).to.equal('SIGKILL');

      // Like a Cloud Run task retry: same execution, next attempt.
      const second = await startJob(localJobEnv(tmp.dir, runId, executionId, { CLOUD_RUN_TASK_ATTEMPT: '1' })).exit;
      expect(second.code, second.stderr.slice(0, 500)).to.equal(0);

      const events = await checkLog(store, runId);
      const state = project(events);
      expect(state.status).to.equal('succeeded');
      for (const node of Object.keys(state.nodes)) {
        const wins = events.filter((e) => isEventOf(e, 'node.attempt.succeeded') && e.data.node === node);
        expect(wins, `${node} succeeded exactly once`).to.have.length(1);
      }
      for (const e of events) {
        if (!isEventOf(e, 'node.attempt.succeeded')) continue;
        for (const a of e.data.artifacts) {
          const got = await store.getArtifact(runId, a.name);
          expect(got, `artifact ${a.name} named by seq ${e.seq}`).to.not.equal(null);
        }
      }
      // An attempt the crash interrupted is closed as abandoned, never left running.
      const started = events.filter((e) => isEventOf(e, 'node.attempt.started')).length;
      const ended = events.filter((e) => /^node\.attempt\.(succeeded|failed|abandoned|cancelled)$/.test(e.type)).length;
      expect(ended).to.equal(started);
    });
  }

  it('SIGTERM mid-run: exits non-zero within 10 s with nothing lost; the next execution finishes', async () => {
    const store = getLocalRunStore(tmp.dir);
    const { runId, executionId } = await createRun(store);
    const job = startJob(localJobEnv(tmp.dir, runId, executionId, { OFFLINE_MODEL_LATENCY_MS: '300' }));
    await new Promise((r) => setTimeout(r, 1200));
    const sent = Date.now();
    job.child.kill('SIGTERM');
    const exit = await job.exit;
    expect(Date.now() - sent).to.be.below(10_000);
    expect(exit.code).to.not.equal(0);
    expect(exit.signal).to.equal(null);
    const mid = project((await store.readLog(runId)).events);
    expect(Object.values(mid.nodes).some((n) => n.status === 'running'), 'nothing left running: abandoned on SIGTERM').to.equal(false);
    expect(mid.executions[0]?.outcome).to.equal('interrupted');
    expect(mid.progress.done).to.be.within(1, 11);
    const again = await startJob(localJobEnv(tmp.dir, runId, executionId, { CLOUD_RUN_TASK_ATTEMPT: '1' })).exit;
    expect(again.code).to.equal(0);
    expect(project(await checkLog(store, runId)).status).to.equal('succeeded');
  });

  it('two job processes for one run at once: one works, the other exits 0 having written nothing', async () => {
    const store = getLocalRunStore(tmp.dir);
    const { runId, executionId } = await createRun(store);
    const other = `exec-${uuidv7()}`;
    const [a, b] = await Promise.all([
      startJob(localJobEnv(tmp.dir, runId, executionId)).exit,
      startJob(localJobEnv(tmp.dir, runId, other)).exit,
    ]);
    expect([a.code, b.code]).to.deep.equal([0, 0]);
    const events = await checkLog(store, runId);
    const execs = new Set(events.filter((e) => isEventOf(e, 'execution.started')).map((e) => (e.data as { executionId: string }).executionId));
    expect(execs.size, 'exactly one execution started').to.equal(1);
    expect(project(events).status).to.equal('succeeded');
  });
});
