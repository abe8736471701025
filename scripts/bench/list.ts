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
import { fmt, machine, median, percentile, table } from './stats.ts';

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

export async function benchList(): Promise<{ markdown: string; ok: boolean }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-bench-list-'));
  const store = getLocalRunStore(dir);
  const config = loadConfig({ RUN_STORE: 'local', RUNS_DIR: dir, API_KEYS: `${TENANT}:${KEY}`, RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'silent' });
  const app = createApp({ config, store, launcher: { backend: 'local', launch: () => Promise.reject(new Error('no launches here')), observe: async () => ({ state: 'unknown' }), close: async () => {} }, logger: silentLogger });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/runs?limit=${PAGE}`;
  const results: { size: number; med: number; p95: number; seedMs: number }[] = [];
  try {
    let seeded = 0;
    for (const size of SIZES) {
      const t = performance.now();
      // The tenant grows in place: each size adds runs on top of the previous ones.
      await seed(store, seeded, size);
      seeded = size;
      const seedMs = performance.now() - t;
      await timeRequests(url, 20); // warm-up
      const times = await timeRequests(url, REPS);
      results.push({ size, med: median(times), p95: percentile(times, 95), seedMs });
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  }
  const base = results[0];
  let ok = true;
  const rows = results.map((r) => {
    const ratio = base ? r.med / base.med : NaN;
    const last = r === results.at(-1);
    if (last && ratio > TARGET_RATIO) ok = false;
    return [
      fmt(r.size),
      `${fmt(r.med)} ms`,
      `${fmt(r.p95)} ms`,
      `${fmt(ratio, 2)}×`,
      base ? `${fmt(r.p95 / base.p95, 2)}×` : '',
      last ? (ratio <= TARGET_RATIO ? `≤ ${TARGET_RATIO}× ✅` : `≤ ${TARGET_RATIO}× ❌`) : '',
    ];
  });
  const markdown = [
    `### Listing: GET /runs, first page (${PAGE}) by tenant size (local store)`,
    `${machine()}; ${REPS} sequential requests over HTTP after 20 warm-up ones; ratio vs the ${fmt(base?.size ?? 0)}-run tenant.`,
    '',
    table(['runs in tenant', 'median', 'p95', 'median ratio', 'p95 ratio', 'target'], rows),
  ].join('\n');
  return { markdown, ok };
}

if (import.meta.main) {
  const { markdown } = await benchList();
  process.stdout.write(markdown + '\n');
}
