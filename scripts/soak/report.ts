/** The soak's report: what the load did, what was injected, what the checker found; and its table for a terminal. */
import { FAULT_KINDS } from '../../test/support/gcs-emulator.ts';
import type { JobCounts } from './actors/actor.ts';
import type { Anomaly, CheckResult } from './checker.ts';
import { cutByRestart } from './judge.ts';
import type { HttpLog } from './http-log.ts';
import { TERMINAL, type LoadState } from './load-state.ts';
import type { ModelFaultKind } from './model-faults.ts';
import type { SoakSettings } from './options.ts';
import type { SoakWorld } from './world.ts';

export interface SoakReport {
  seed: number;
  loadMs: number;
  wallMs: number;
  requests: { total: number; byClass: Record<string, number>; histogram: Record<string, Record<string, number>> };
  runs: { total: number; succeeded: number; failed: number; cancelled: number; deleted: number; unfinished: number; stuck: number };
  builds: { total: number; created: number; reused: number; forced: number; bursts: number };
  operations: { retries: number; cancels: number; deletes: number; resumes: number };
  sse: { watchers: number; ended: number; events: number };
  jobs: { mode: 'process' | 'worker' } & JobCounts;
  orchestrator: { restarts: number; requestsCut: number };
  faults: { gcs: Record<string, number>; gcsRateLimited: number; model: Partial<Record<ModelFaultKind, number>>; modelCalls: number };
  events: number;
  anomalies: Anomaly[];
  workDir: string | null;
}

/** Statuses per route, and every answer counted by class (2xx, 4xx…; `none` for no answer). */
function requestCounts(http: HttpLog): SoakReport['requests'] {
  const byClass: Record<string, number> = {};
  const histogram: Record<string, Record<string, number>> = {};
  for (const [route, statuses] of http.histogram) {
    const h: Record<string, number> = {};
    for (const [status, n] of [...statuses].sort((a, b) => a[0] - b[0])) {
      h[String(status)] = n;
      const cls = status === 0 ? 'none' : `${Math.floor(status / 100)}xx`;
      byClass[cls] = (byClass[cls] ?? 0) + n;
    }
    histogram[route] = h;
  }
  return { total: http.total, byClass, histogram };
}

function runCounts(checked: CheckResult): SoakReport['runs'] {
  const count = (p: (r: CheckResult['runs'][number]) => boolean) => checked.runs.filter(p).length;
  return {
    total: checked.runs.length,
    succeeded: count((r) => !r.deleted && r.status === 'succeeded'),
    failed: count((r) => !r.deleted && r.status === 'failed'),
    cancelled: count((r) => !r.deleted && r.status === 'cancelled'),
    deleted: count((r) => r.deleted),
    unfinished: count((r) => !r.deleted && !TERMINAL.has(r.status)),
    stuck: count((r) => r.stuck),
  };
}

function faultCounts(world: SoakWorld): SoakReport['faults'] {
  const { emulator, feeder } = world;
  const gcs: Record<string, number> = {};
  for (const kind of FAULT_KINDS) if (emulator.stats.faults[kind] > 0) gcs[kind] = emulator.stats.faults[kind];
  return { gcs, gcsRateLimited: emulator.stats.rateLimited, model: { ...feeder.injected }, modelCalls: feeder.calls };
}

export function soakReport(
  settings: SoakSettings,
  times: { loadMs: number; wallMs: number },
  world: SoakWorld,
  load: LoadState,
  checked: CheckResult,
  workDir: string | null,
): SoakReport {
  const { builds, ops, sse } = load;
  return {
    seed: settings.seed,
    ...times,
    requests: requestCounts(world.http),
    runs: runCounts(checked),
    builds: {
      total: builds.length,
      created: builds.filter((b) => b.status === 202).length,
      reused: builds.filter((b) => b.status === 200).length,
      forced: builds.filter((b) => b.force).length,
      bursts: ops.bursts,
    },
    operations: { retries: ops.retries, cancels: ops.cancels, deletes: ops.deletes, resumes: ops.resumes },
    sse: {
      watchers: sse.length,
      ended: sse.filter((s) => s.end !== null).length,
      events: sse.reduce((n, s) => n + s.frames.length, 0),
    },
    jobs: { mode: settings.jobMode, ...world.jobs },
    orchestrator: {
      restarts: world.orchestrator.restarts,
      requestsCut: world.http.failed.filter((f) => cutByRestart(f, world.orchestrator.downtimes)).length,
    },
    faults: faultCounts(world),
    events: checked.runs.reduce((n, r) => n + r.events, 0),
    anomalies: checked.anomalies,
    workDir,
  };
}

/** The report as a table for a terminal. */
export function formatReport(r: SoakReport): string {
  const rows: [string, string][] = [
    ['seed', String(r.seed)],
    ['load / wall time', `${(r.loadMs / 1000).toFixed(1)} s / ${(r.wallMs / 1000).toFixed(1)} s`],
    ['requests', `${r.requests.total} (${Object.entries(r.requests.byClass).map(([k, v]) => `${k} ${v}`).join(', ')})`],
    ['runs', `${r.runs.total}: ${r.runs.succeeded} succeeded, ${r.runs.failed} failed, ${r.runs.cancelled} cancelled, ${r.runs.deleted} deleted, ${r.runs.unfinished} unfinished`],
    ['stuck runs', `stuck runs = ${r.runs.stuck}`],
    ['builds', `${r.builds.total}: ${r.builds.created} created, ${r.builds.reused} reused, ${r.builds.forced} forced, ${r.builds.bursts} identical bursts`],
    ['operator actions', `${r.operations.retries} node retries, ${r.operations.cancels} cancels, ${r.operations.deletes} deletes, ${r.operations.resumes} resumes`],
    ['SSE watchers', `${r.sse.watchers} (${r.sse.ended} saw the end), ${r.sse.events} events streamed`],
    [r.jobs.mode === 'worker' ? 'job worker (LOCAL_JOB_MODE=worker)' : 'job processes', `${r.jobs.attempts} attempts, ${r.jobs.kills} SIGKILLs, ${r.jobs.restarts} restarts, ${r.jobs.gaveUp} gave up, ${r.jobs.permanentKills} killed for good`],
    ['orchestrator restarts', `${r.orchestrator.restarts} (${r.orchestrator.requestsCut} requests cut)`],
    ['GCS faults injected', `${Object.entries(r.faults.gcs).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}${r.faults.gcsRateLimited ? `; rate-limited ${r.faults.gcsRateLimited}` : ''}`],
    ['model faults injected', `${Object.entries(r.faults.model).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'} (of ${r.faults.modelCalls} calls)`],
    ['events', String(r.events)],
    ['anomalies', String(r.anomalies.length)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [`| ${'what'.padEnd(width)} | count |`, `|${'-'.repeat(width + 2)}|-------|`, ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`)];
  for (const a of r.anomalies.slice(0, 50)) lines.push(`  ANOMALY ${a.kind}${a.runId ? ` ${a.runId}` : ''}: ${a.detail}`);
  if (r.anomalies.length > 50) lines.push(`  … and ${r.anomalies.length - 50} more`);
  if (r.workDir) lines.push(`  logs kept in ${r.workDir}`);
  return lines.join('\n');
}
