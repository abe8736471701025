/**
 * The soak's verdict, once everything has settled and the faults are off:
 * the checker over every run (with what the load recorded, run.json as served
 * and the listings as served; stuck runs count against it), then a search for
 * the fake Gemini key in every stored object, the job and orchestrator logs
 * and every HTTP answer. Requests left unanswered while the restarter had the
 * orchestrator down are the restarts' doing and are left out.
 */
import { readFile } from 'node:fs/promises';
import { checkStore, scanForSecret, type Anomaly, type CheckResult } from './checker.ts';
import type { HttpLog } from './http-log.ts';
import type { FailedRequest } from './types.ts';
import type { LoadState } from './load-state.ts';
import { API_KEY_OF, TENANTS, tenantOf } from './tenants.ts';
import { BUCKET, type SoakWorld } from './world.ts';

/** Every run id `GET /runs` lists for the tenant, all pages. */
async function listRuns(http: HttpLog, tenant: string): Promise<string[]> {
  const key = API_KEY_OF[tenantOf(tenant)];
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const res = await http.request('GET', `/runs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, '/runs', { key });
    if (!res || res.status !== 200) break;
    const body = JSON.parse(res.text) as { runs: { runId: string }[]; nextCursor: string | null };
    ids.push(...body.runs.map((r) => r.runId));
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return ids;
}

/** A request that got no answer while the orchestrator was down for a restart (or just after: a pooled socket of the old server). */
const RESTART_MARGIN_MS = 2_000;
export function cutByRestart(f: FailedRequest, downtimes: readonly { start: number; end: number }[]): boolean {
  return f.status === null && downtimes.some((d) => f.at >= d.start && f.at <= d.end + RESTART_MARGIN_MS);
}

function checkRunsServed(world: SoakWorld, load: LoadState): Promise<CheckResult> {
  const { http } = world;
  const downtimes = world.orchestrator.downtimes;
  return checkStore(world.store, {
    servedRunJson: async (runId) => {
      const res = await http.request('GET', `/runs/${runId}/run.json`, '/runs/:id/run.json');
      return { status: res?.status ?? 0, body: res?.text ?? '' };
    },
    listRuns: (tenant) => listRuns(http, tenant),
    tenants: TENANTS,
    builds: load.builds,
    deletes: load.deletes,
    failedRequests: http.failed.filter((f) => !cutByRestart(f, downtimes)),
    badResponses: http.bad,
    sse: load.sse,
    requireTerminal: true,
    judgeStuck: true,
    runIds: [...load.runs.keys()],
  });
}

/** Every place the key turned up: stored objects, the logs, HTTP answers (headers, bodies, SSE data). */
async function secretLeaks(world: SoakWorld, geminiKey: string): Promise<Anomaly[]> {
  const anomalies: Anomaly[] = [];
  for (const name of world.emulator.listNames(BUCKET)) {
    const obj = world.emulator.getObject(BUCKET, name);
    if (obj) anomalies.push(...scanForSecret(`gs://${BUCKET}/${name}`, obj.bytes, geminiKey));
  }
  await world.endOrchestratorLog();
  anomalies.push(...scanForSecret('the orchestrator log', await readFile(world.orchestratorLogPath), geminiKey));
  anomalies.push(...scanForSecret('the job logs', await readFile(world.jobLogPath).catch(() => Buffer.alloc(0)), geminiKey));
  for (const where of world.http.leaks) anomalies.push({ kind: 'secret_leak', detail: `the Gemini key was served in ${where}` });
  return anomalies;
}

export async function judge(world: SoakWorld, load: LoadState, geminiKey: string): Promise<CheckResult> {
  const checked = await checkRunsServed(world, load);
  return { runs: checked.runs, anomalies: [...checked.anomalies, ...(await secretLeaks(world, geminiKey))] };
}
