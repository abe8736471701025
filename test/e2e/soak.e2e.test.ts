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
 * The long version: `npm run soak` (10 minutes by default).
 */
import { expect } from 'chai';
import { formatReport, runSoak, type SoakReport } from '../../scripts/soak/soak.ts';

const LOAD_MS = Number(process.env['SOAK_SECONDS'] ?? 65) * 1000;
const SEED = Number(process.env['SOAK_SEED'] ?? 7);

describe('soak (short): load, crashes and faults at once, nothing lost', function () {
  this.timeout(180_000);
  let report: SoakReport;

  before(async () => {
    report = await runSoak({ durationMs: LOAD_MS, seed: SEED, quiesceMs: 60_000, log: (line) => console.log(`      ${line}`) });
    console.log(formatReport(report).split('\n').map((l) => `      ${l}`).join('\n'));
  });

  it('finds zero anomalies in the logs, run.json, artifacts, dedup, listings, HTTP answers, SSE streams and secrets', () => {
    expect(report.anomalies.map((a) => `${a.kind}${a.runId ? ` ${a.runId}` : ''}: ${a.detail}`)).to.deep.equal([]);
    expect(report.runs.unfinished).to.equal(0);
  });

  it('really did load, kill and inject faults', () => {
    expect(report.requests.total, 'requests').to.be.above(300);
    expect(report.builds.created, 'runs created').to.be.at.least(5);
    expect(report.builds.reused, 'identical builds reused').to.be.above(0);
    expect(report.operations.retries, 'operator retries').to.be.above(0);
    expect(report.operations.deletes, 'deletes').to.be.above(0);
    expect(report.sse.events, 'events streamed over SSE').to.be.above(0);
    expect(report.jobs.kills, 'job processes SIGKILLed').to.be.above(0);
    expect(report.jobs.restarts, 'killed jobs restarted').to.be.above(0);
    const gcs = Object.values(report.faults.gcs).reduce((a, b) => a + b, 0);
    const model = Object.values(report.faults.model).reduce((a, b) => a + b, 0);
    expect(gcs, 'GCS faults injected').to.be.above(0);
    expect(report.faults.gcs['drop-after-commit'] ?? 0, 'lost GCS responses').to.be.above(0);
    expect(model, 'model faults injected').to.be.above(0);
    expect(report.events, 'events logged').to.be.above(100);
  });
});
