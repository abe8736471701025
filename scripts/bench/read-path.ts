/**
 * Read-path benchmark: GET /runs/:id/run.json from the orchestrator (local
 * store) under 50 connections, against Express serving the same bytes as a
 * static file, measured in the same run; the 304 path; and peak memory of the
 * orchestrator under that load and of a job running the whole pipeline.
 *   npm run bench:read
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { decide } from '../../shared/domain/decide.ts';
import type { StoredEvent } from '../../shared/domain/events.ts';
import { initialState, project } from '../../shared/domain/run-state.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { fmt, machine, runAlone, section, table, verdict, type BenchResult } from './harness.ts';
import { freePort } from '../../test/support/ports.ts';
import { createRun } from '../../test/support/runs.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SECONDS = Number(process.env.BENCH_READ_SECONDS ?? 5);
const CONNECTIONS = 50;
const KEY = 'bench-key-0001';

/** Peak resident memory of a process, sampled from /proc until it exits or `stop` is called. */
function watchRss(pid: number): { stop(): number } {
  let peak = 0;
  const read = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      // the process is gone: keep the last peak
    }
  };
  const t = setInterval(read, 20);
  return {
    stop() {
      read();
      clearInterval(t);
      return peak;
    },
  };
}

async function waitFor(url: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not come up`);
}

function start(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'error', ...env }, stdio: 'ignore' });
}

async function load(url: string, headers: Record<string, string> = {}) {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx, statuses: r };
}

/** A finished run, written through the store (the job's path); answers its id and run.json's bytes. */
async function finishedRun(store: RunStore): Promise<{ runId: string; bytes: Buffer }> {
  const runId = uuidv7();
  const ctx = { now: new Date().toISOString(), newId: uuidv7 };
  let state = initialState();
  const events: StoredEvent[] = [];
  const apply = (c: Parameters<typeof decide>[0]) => {
    for (const e of decide(c, state, ctx)) {
      const s = { ...e, seq: events.length + 1 } as StoredEvent;
      events.push(s);
      state = project([s], state);
    }
  };
  apply({
    type: 'CreateRun',
    data: {
      runId, tenant: 'bench', label: 'bench', signature: `sha256:${'0'.repeat(64)}`, pipelineVersion: 'v1', appVersion: 'bench',
      params: { company: 'Acme Grid', focalQuestion: 'How will European grid operators fund the 2035 transition?', horizonYear: 2035 },
      nodes: SCENARIOFORGE_PIPELINE.nodes.map((n) => ({ id: n.id, deps: [...n.deps], maxAttempts: 3 })),
      llm: { provider: 'offline', model: 'offline', keySource: 'none', keyFingerprint: null },
    },
  });
  apply({ type: 'RequestExecution', executionId: 'e1', reason: 'build' });
  apply({ type: 'StartExecution', executionId: 'e1' });
  for (const n of SCENARIOFORGE_PIPELINE.nodes) {
    apply({ type: 'StartAttempt', node: n.id, executionId: 'e1' });
    apply({ type: 'SucceedAttempt', node: n.id, attempt: 1, durationMs: 200, artifacts: [{ name: `${n.id}.json`, sha256: 'f'.repeat(64), size: 2048, contentType: 'application/json' }], usage: { promptTokens: 1000, outputTokens: 800 } });
  }
  apply({ type: 'CompleteRun' });
  await store.append(runId, events);
  await store.writeProjection(runId, state);
  return { runId, bytes: (await store.readProjection(runId)) as Buffer };
}

/** The baseline (Express serving the same bytes as a static file) and the orchestrator, each in its own process. */
async function startServers(dir: string, bytes: Buffer, children: ChildProcess[]): Promise<{ staticUrl: string; orchestrator: ChildProcess; orchestratorUrl: string }> {
  const staticDir = path.join(dir, 'static');
  await mkdir(staticDir);
  await writeFile(path.join(staticDir, 'run.json'), bytes);
  const staticPort = await freePort();
  children.push(start([path.join(ROOT, 'scripts/bench/static-server.ts'), staticDir, String(staticPort)], {}));
  const orchPort = await freePort();
  const orchestrator = start([path.join(ROOT, 'orchestrator/main.ts')], { RUN_STORE: 'local', RUNS_DIR: dir, API_KEYS: `bench:${KEY}`, PORT: String(orchPort), RATE_LIMIT_PER_MINUTE: '1000000' });
  children.push(orchestrator);
  await waitFor(`http://127.0.0.1:${staticPort}/run.json`);
  await waitFor(`http://127.0.0.1:${orchPort}/health`);
  return { staticUrl: `http://127.0.0.1:${staticPort}/run.json`, orchestrator, orchestratorUrl: `http://127.0.0.1:${orchPort}` };
}

/** Peak memory of a job running the whole pipeline (offline model, no latency). */
async function jobPeakRss(dir: string, store: RunStore): Promise<number> {
  const { runId, executionId } = await createRun(store);
  const job = start([path.join(ROOT, 'job-runner/main.ts')], { RUN_STORE: 'local', RUNS_DIR: dir, LLM_PROVIDER: 'offline', RUN_ID: runId, EXECUTION_ID: executionId });
  const rss = watchRss(job.pid as number);
  await new Promise((r) => job.on('exit', r));
  return rss.stop();
}

async function measure(dir: string, children: ChildProcess[]) {
  const store = getLocalRunStore(dir);
  const { runId, bytes } = await finishedRun(store);
  const servers = await startServers(dir, bytes, children);
  const rss = watchRss(servers.orchestrator.pid as number);
  const runUrl = `${servers.orchestratorUrl}/runs/${runId}/run.json`;
  const etag = (await fetch(runUrl)).headers.get('etag') ?? '';
  // Warm both, then measure alternately.
  await autocannon({ url: runUrl, connections: 10, duration: 1 });
  await autocannon({ url: servers.staticUrl, connections: 10, duration: 1 });
  const base = await load(servers.staticUrl);
  const ours = await load(runUrl);
  const notModified = await load(runUrl, { 'if-none-match': etag });
  const orchRss = rss.stop();
  return { base, ours, notModified, orchRss, jobPeak: await jobPeakRss(dir, store) };
}

export async function benchReadPath(): Promise<BenchResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-read-'));
  const children: ChildProcess[] = [];
  try {
    const { base, ours, notModified, orchRss, jobPeak } = await measure(dir, children);
    const ratio = ours.rps / base.rps;
    const target = { text: '≥ 0.8×', met: ratio >= 0.8 };
    const mb = (b: number) => `${fmt(b / 2 ** 20)} MB`;
    const markdown = section(
      `Read path: GET /runs/:id/run.json (local store), ${CONNECTIONS} connections, ${SECONDS} s each`,
      `${machine()}; autocannon in the benchmark process, servers in their own processes.`,
      table(['server', 'requests/s', 'p99 latency', 'errors', 'ratio', 'target'], [
        ['Express static file (baseline)', fmt(base.rps), `${fmt(base.p99)} ms`, String(base.errors), '1×', ''],
        ['orchestrator run.json (200)', fmt(ours.rps), `${fmt(ours.p99)} ms`, String(ours.errors), `${fmt(ratio, 2)}×`, verdict(target)],
        ['orchestrator run.json (304, If-None-Match)', fmt(notModified.rps), `${fmt(notModified.p99)} ms`, '—', `${fmt(notModified.rps / base.rps, 2)}×`, ''],
      ]),
      table(['process', 'peak RSS'], [
        ['orchestrator under the read load above', mb(orchRss)],
        ['job running the whole pipeline (offline model)', mb(jobPeak)],
      ]),
    );
    // An error under load misses the target even when the rate is met.
    return { markdown, ok: target.met && ours.errors === 0 };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await runAlone(benchReadPath);
