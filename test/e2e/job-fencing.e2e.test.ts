/**
 * Fencing, with real processes: a job paused (SIGSTOP) past its lease is
 * declared lost and replaced, the way the reconciler does it; when it wakes
 * (SIGCONT) it appends nothing and exits non-zero, and the run ends once,
 * every node succeeded exactly once, every artifact the bytes the log names.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { isEventOf, type StoredEvent } from '../../shared/domain/events.ts';
import { openAttempts, project } from '../../shared/domain/run-state.ts';
import { decideAndAppend } from '../../shared/run-log/decide-and-append.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import { sha256Hex } from '../../shared/store/run-store.ts';
import { checkLog } from '../support/log-checks.ts';
import { localJobEnv, startJob } from '../support/job-process.ts';
import { createRun, ctx } from '../support/runs.ts';
import { tempDir } from '../support/temp-dir.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | null | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('fencing: a paused job that wakes after its takeover writes nothing', function () {
  this.timeout(90_000);
  let tmp: { dir: string; cleanup(): Promise<void> };
  before(async () => {
    tmp = await tempDir('sf-fence-');
  });
  after(async () => tmp.cleanup());

  it('SIGSTOP past the lease, lost + recover, SIGCONT: the first exits non-zero having appended nothing; the run succeeds once', async () => {
    const store = getLocalRunStore(tmp.dir);
    const { runId, executionId: first } = await createRun(store);
    const env = { LEASE_TTL_S: '2', OFFLINE_MODEL_LATENCY_MS: '300' };
    const a = startJob(localJobEnv(tmp.dir, runId, first, env));
    const aExit = a.exit;
    await until('the first job mid-run', async () => {
      const s = project((await store.readLog(runId)).events);
      return s.progress.done >= 2 && openAttempts(s).length > 0;
    });
    a.child.kill('SIGSTOP');
    try {
      // Past its lease (2 s), as the reconciler would find it.
      await sleep(2600);
      const second = `exec-${uuidv7()}`;
      const takeover = await decideAndAppend(store, runId, (state) => [
        { type: 'FinishExecution', executionId: first, outcome: 'lost', reason: 'its lease expired unrenewed' },
        ...openAttempts(state).map((o) => ({ type: 'AbandonAttempt' as const, ...o, reason: 'its execution was lost' })),
        { type: 'RequestExecution', executionId: second, reason: 'recover' },
      ], ctx);
      const takeoverSeq = takeover.events[takeover.events.length - 1]?.seq ?? 0;
      const b = startJob(localJobEnv(tmp.dir, runId, second, env));
      await until('the second job started', async () =>
        (await store.readLog(runId)).events.some((e) => isEventOf(e, 'execution.started') && e.data.executionId === second));
      a.child.kill('SIGCONT');
      const [aEnd, bEnd] = await Promise.all([aExit, b.exit]);
      expect(aEnd.code, `the first job exits non-zero (${aEnd.stderr.slice(0, 300)})`).to.not.equal(0);
      expect(aEnd.code).to.not.equal(null);
      expect(bEnd.code, bEnd.stderr.slice(0, 500)).to.equal(0);

      const events = await checkLog(store, runId);
      const state = project(events);
      expect(state.status).to.equal('succeeded');
      expect(events.filter((e) => e.type === 'run.completed')).to.have.length(1);
      // Who wrote what after the takeover: executions by id, attempts by the execution that started them.
      const startedBy = new Map<string, string>();
      for (const e of events) if (isEventOf(e, 'node.attempt.started')) startedBy.set(`${e.data.node}#${e.data.attempt}`, e.data.executionId);
      const writer = (e: StoredEvent): string | undefined => {
        const d = e.data as { executionId?: string; node?: string; attempt?: number };
        return d.executionId ?? (d.node !== undefined ? startedBy.get(`${d.node}#${d.attempt}`) : undefined);
      };
      const byFirst = events.filter((e) => e.seq > takeoverSeq && writer(e) === first);
      expect(byFirst, 'nothing appended by the first job after the takeover').to.deep.equal([]);
      expect(state.executions.find((x) => x.id === first)).to.include({ outcome: 'lost' });
      for (const node of Object.keys(state.nodes)) {
        expect(events.filter((e) => isEventOf(e, 'node.attempt.succeeded') && e.data.node === node), `${node} succeeded once`).to.have.length(1);
      }
      for (const e of events) {
        if (!isEventOf(e, 'node.attempt.succeeded')) continue;
        for (const ref of e.data.artifacts) {
          const got = await store.getArtifact(runId, ref.name);
          expect(got, ref.name).to.not.equal(null);
          expect(sha256Hex(got?.body ?? ''), `${ref.name} is the bytes the log names`).to.equal(ref.sha256);
        }
      }
      process.stdout.write(`      (first job exit ${aEnd.code}; takeover at seq ${takeoverSeq}; log ${events.length} events)\n`);
    } finally {
      a.child.kill('SIGCONT');
    }
  });
});
