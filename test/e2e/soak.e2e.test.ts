/**
 * The short soak, inside `npm test`: about a minute of concurrent builds
 * (bursts of identical ones, some forced), readers, SSE watchers, operator
 * retries, cancels and deletes, while the GCS emulator injects 412/429/503 and
 * lost responses, the Gemini stub answers 429/503/500/malformed/truncated/
 * terminal and hangs, and job processes are SIGKILLed at random. Then every
 * run is checked (scripts/soak/checker.ts) and the store, the logs and every
 * answer are searched for the fake Gemini key. Zero anomalies, and proof that
 * the load, the kills and the faults really happened.
 *
 * The same again, shorter, in worker mode (LOCAL_JOB_MODE=worker), where one
 * SIGKILL takes down every run the job worker holds.
 *
 * With LIVENESS on (issue 12), also permanent job kills (an execution killed
 * until the launcher gives up) and orchestrator restarts mid-load, and no
 * operator resumes: the reconciler alone brings stranded runs back, and the
 * report's `stuck runs` must be 0.
 *
 * The long version: `npm run soak` (10 minutes by default; `-- --job-mode worker`, `-- --liveness`).
 */
import { expect } from 'chai';
import { formatReport, type SoakReport } from '../../scripts/soak/report.ts';
import { runSoak } from '../../scripts/soak/soak.ts';

const LOAD_MS = Number(process.env['SOAK_SECONDS'] ?? 65) * 1000;
const WORKER_LOAD_MS = Number(process.env['SOAK_WORKER_SECONDS'] ?? 35) * 1000;
const SEED = Number(process.env['SOAK_SEED'] ?? 7);
/**
 * Permanent job kills and orchestrator restarts: only the reconciler can bring those runs back,
 * so the soak's `stuck runs = 0` is the reconciler's proof under load.
 */
const LIVENESS = true;

function soakSuite(title: string, jobMode: 'process' | 'worker', loadMs: number, killed: string): void {
  describe(title, function () {
    this.timeout(180_000);
    let report: SoakReport;

    before(async () => {
      report = await runSoak({ durationMs: loadMs, seed: SEED, jobMode, liveness: LIVENESS, quiesceMs: 60_000, log: (line) => console.log(`      ${line}`) });
      console.log(formatReport(report).split('\n').map((l) => `      ${l}`).join('\n'));
    });

    it('finds zero anomalies in the logs, run.json, artifacts, dedup, listings, HTTP answers, SSE streams and secrets', () => {
      expect(report.anomalies.map((a) => `${a.kind}${a.runId ? ` ${a.runId}` : ''}: ${a.detail}`)).to.deep.equal([]);
      expect(report.runs.unfinished).to.equal(0);
      expect(report.runs.stuck, 'stuck runs').to.equal(0);
    });

    it('really did load, kill and inject faults', () => {
      expect(report.jobs.mode).to.equal(jobMode);
      expect(report.requests.total, 'requests').to.be.above(300);
      expect(report.builds.created, 'runs created').to.be.at.least(5);
      expect(report.builds.reused, 'identical builds reused').to.be.above(0);
      expect(report.operations.retries, 'operator retries').to.be.above(0);
      expect(report.operations.deletes, 'deletes').to.be.above(0);
      expect(report.sse.events, 'events streamed over SSE').to.be.above(0);
      expect(report.jobs.kills, killed).to.be.above(0);
      expect(report.jobs.restarts, 'killed executions started again').to.be.above(0);
      if (LIVENESS) {
        expect(report.jobs.permanentKills, 'executions killed until the launcher gave up').to.be.above(0);
        expect(report.orchestrator.restarts, 'orchestrator restarts').to.be.above(0);
      }
      const gcs = Object.values(report.faults.gcs).reduce((a, b) => a + b, 0);
      const model = Object.values(report.faults.model).reduce((a, b) => a + b, 0);
      expect(gcs, 'GCS faults injected').to.be.above(0);
      expect(report.faults.gcs['drop-after-commit'] ?? 0, 'lost GCS responses').to.be.above(0);
      expect(model, 'model faults injected').to.be.above(0);
      expect(report.events, 'events logged').to.be.above(100);
    });
  });
}

soakSuite('soak (short): load, crashes and faults at once, nothing lost', 'process', LOAD_MS, 'job processes SIGKILLed');
soakSuite('soak (short), worker mode: the one job worker SIGKILLed with every run it holds, nothing lost', 'worker', WORKER_LOAD_MS, 'job workers SIGKILLed');
