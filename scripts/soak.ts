/**
 * `npm run soak`: the long soak (default 10 minutes of load, then the quiesce
 * and the check). Prints the report table; exits 1 on any anomaly.
 *
 *   npm run soak -- --minutes 30 --seed 42 --write-limit 1 --json report.json
 *   npm run soak -- --job-mode worker   (one long-lived job worker; a kill takes every run it holds)
 *   npm run soak -- --liveness          (also permanent job kills and orchestrator restarts; no operator
 *                                        resumes: the reconciler alone brings runs back; stuck runs fail it)
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatReport } from './soak/report.ts';
import { runSoak } from './soak/soak.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seconds: { type: 'string' },
    seed: { type: 'string' },
    workers: { type: 'string' },
    'max-active': { type: 'string' },
    'kill-every-ms': { type: 'string' },
    'job-max-retries': { type: 'string' },
    'job-mode': { type: 'string', default: 'process' },
    'max-kills-per-execution': { type: 'string' },
    'gcs-fault-rate': { type: 'string' },
    'model-fault-rate': { type: 'string' },
    'write-limit': { type: 'string' },
    json: { type: 'string' },
    'keep-dir': { type: 'boolean', default: false },
    liveness: { type: 'boolean', default: false },
    'permanent-kill-every-ms': { type: 'string' },
    'restart-every-ms': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log('usage: npm run soak -- [--minutes N | --seconds N] [--seed N] [--workers N] [--max-active N] [--kill-every-ms N]\n'
    + '                        [--job-mode process|worker] [--job-max-retries N] [--max-kills-per-execution N]\n'
    + '                        [--gcs-fault-rate P] [--model-fault-rate P] [--write-limit W/s] [--json FILE] [--keep-dir]\n'
    + '                        [--liveness [--permanent-kill-every-ms N] [--restart-every-ms N]]');
  process.exit(0);
}

function num(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`soak: --${name} must be a number from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
}

if (values['job-mode'] !== 'process' && values['job-mode'] !== 'worker') {
  console.error('soak: --job-mode must be process or worker');
  process.exit(2);
}
const jobMode: 'process' | 'worker' = values['job-mode'];

const seconds = num('seconds', values.seconds, 5, 86_400) ?? (num('minutes', values.minutes, 0.1, 1440) ?? 10) * 60;
const optional = <K extends string>(key: K, v: number | undefined): Partial<Record<K, number>> =>
  (v === undefined ? {} : { [key]: v }) as Partial<Record<K, number>>;

const report = await runSoak({
  durationMs: Math.round(seconds * 1000),
  jobMode,
  ...optional('seed', num('seed', values.seed, 0, 2 ** 31)),
  ...optional('workers', num('workers', values.workers, 1, 64)),
  ...optional('maxActiveRuns', num('max-active', values['max-active'], 1, 64)),
  ...optional('killEveryMs', num('kill-every-ms', values['kill-every-ms'], 100, 3_600_000)),
  ...optional('jobMaxRetries', num('job-max-retries', values['job-max-retries'], 0, 10)),
  ...optional('maxKillsPerExecution', num('max-kills-per-execution', values['max-kills-per-execution'], 0, 1000)),
  ...optional('gcsFaultRate', num('gcs-fault-rate', values['gcs-fault-rate'], 0, 0.5)),
  ...optional('modelFaultRate', num('model-fault-rate', values['model-fault-rate'], 0, 0.5)),
  ...optional('writeRateLimit', num('write-limit', values['write-limit'], 1, 1000)),
  ...optional('permanentKillEveryMs', num('permanent-kill-every-ms', values['permanent-kill-every-ms'], 500, 3_600_000)),
  ...optional('restartEveryMs', num('restart-every-ms', values['restart-every-ms'], 1000, 3_600_000)),
  liveness: values.liveness,
  keepDir: values['keep-dir'],
  log: (line) => console.error(line),
});

console.log(formatReport(report));
if (values.json) await writeFile(values.json, JSON.stringify(report, null, 2) + '\n');
process.exit(report.anomalies.length > 0 ? 1 : 0);
