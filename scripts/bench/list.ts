/**
 * Listing benchmark: `GET /runs` (first page, 50 runs) over real HTTP against
 * the local store, with 100, 1,000 and 10,000 runs in the tenant. Runs are
 * seeded through the store (listing entry + run.json, no log: a listing
 * reads nothing else). Target: flat — the page's cost does not grow with the
 * tenant's total.
 *   node scripts/bench/list.ts
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { loadConfig } from '../../shared/config.ts';
import { newEvent, type StoredEvent } from '../../shared/domain/events.ts';
import { project } from '../../shared/domain/run-state.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { silentLogger } from '../../shared/logger.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { createApp } from '../../orchestrator/app.ts';
import { allMet, fmt, machine, median, percentile, runAlone, section, table, verdict, type BenchResult, type Target } from './harness.ts';

const SIZES = (process.env.BENCH_LIST_SIZES ?? '100,1000,10000').split(',').map(Number);
const REPS = Number(process.env.BENCH_REPS ?? 200);
const PAGE = 50;
const TENANT = 'bench';
const KEY = 'bench-key-0123456789';
/** The 10,000-run page may cost at most this much more than the 100-run page (median). */
const TARGET_RATIO = 1.5;

function runState(runId: string, i: number) {
  const at = new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString();
  const created = {
    ...newEvent('run.created', {
      runId, tenant: TENANT, label: `bench run ${i}`,
      params: { company: `Company ${i}`, focalQuestion: 'How will European grid operators fund the 2035 transition?', horizonYear: 2035 },
      signature: `sha256:${i.toString(16).padStart(64, '0')}`, pipelineVersion: 'v1', appVersion: 'bench',
      nodes: SCENARIOFORGE_PIPELINE.nodes.map((n) => ({ id: n.id, deps: [...n.deps], maxAttempts: 3 })),
      llm: { provider: 'offline', model: 'offline-library-v1', keySource: 'none', keyFingerprint: null },
    }, uuidv7(), at),
    seq: 1,
  } as StoredEvent;
  return project([created]);
}

/** Listing entries and run.json for `count` runs, in parallel batches. */
async function seed(store: RunStore, from: number, to: number): Promise<void> {
  const BATCH = 256;
  for (let start = from; start < to; start += BATCH) {
    const jobs: Promise<void>[] = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) {
      const runId = uuidv7();
      jobs.push(store.writeProjection(runId, runState(runId, i)).then(() => store.indexRun(TENANT, runId)));
    }
    await Promise.all(jobs);
  }
}

async function timeRequests(url: string, reps: number): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    const res = await fetch(url, { headers: { 'x-api-key': KEY } });
    const body = (await res.json()) as { runs: unknown[] };
    const ms = performance.now() - t;
    if (res.status !== 200 || body.runs.length !== PAGE) throw new Error(`unexpected answer: ${res.status}, ${body.runs.length} runs`);
    times.push(ms);
  }
  return times;
}

/** The orchestrator over HTTP on a local store in `dir`, with no launcher (a listing starts nothing). */
async function listen(dir: string, store: RunStore): Promise<{ server: Server; url: string }> {
  const config = loadConfig({ RUN_STORE: 'local', RUNS_DIR: dir, API_KEYS: `${TENANT}:${KEY}`, RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'silent' });
  const app = createApp({ config, store, launcher: { backend: 'local', launch: () => Promise.reject(new Error('no launches here')), observe: async () => ({ state: 'unknown' }), close: async () => {} }, logger: silentLogger });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/runs?limit=${PAGE}` };
}

/** The first page's request times at each tenant size; the tenant grows in place, each size adding runs on top of the previous ones. */
async function measure(): Promise<{ size: number; times: number[] }[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-bench-list-'));
  const store = getLocalRunStore(dir);
  const { server, url } = await listen(dir, store);
  const results: { size: number; times: number[] }[] = [];
  try {
    let seeded = 0;
    for (const size of SIZES) {
      await seed(store, seeded, size);
      seeded = size;
      await timeRequests(url, 20); // warm-up
      results.push({ size, times: await timeRequests(url, REPS) });
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

export async function benchList(): Promise<BenchResult> {
  const results = (await measure()).map((r) => ({ size: r.size, med: median(r.times), p95: percentile(r.times, 95) }));
  const base = results[0];
  const targets: Target[] = [];
  const rows = results.map((r) => {
    const ratio = base ? r.med / base.med : NaN;
    const target = r === results.at(-1) ? { text: `≤ ${TARGET_RATIO}×`, met: ratio <= TARGET_RATIO } : null;
    if (target) targets.push(target);
    return [
      fmt(r.size),
      `${fmt(r.med)} ms`,
      `${fmt(r.p95)} ms`,
      `${fmt(ratio, 2)}×`,
      base ? `${fmt(r.p95 / base.p95, 2)}×` : '',
      target ? verdict(target) : '',
    ];
  });
  const markdown = section(
    `Listing: GET /runs, first page (${PAGE}) by tenant size (local store)`,
    `${machine()}; ${REPS} sequential requests over HTTP after 20 warm-up ones; ratio vs the ${fmt(base?.size ?? 0)}-run tenant.`,
    table(['runs in tenant', 'median', 'p95', 'median ratio', 'p95 ratio', 'target'], rows),
  );
  return { markdown, ok: allMet(targets) };
}

if (import.meta.main) await runAlone(benchList);
