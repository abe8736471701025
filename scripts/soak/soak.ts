/**
 * The soak: everything at once, for a fixed time, then a full check.
 *
 * Starts the GCS emulator (412 races, 429, 503 and lost responses on a few
 * percent of requests; optionally the one-write-per-second-per-object limit),
 * the Gemini stub (429/503/500/malformed/truncated/terminal answers and hangs
 * on a few percent of calls), and the orchestrator in this process
 * (`createApp`, RUN_STORE=gcs against the emulator, the local launcher running
 * the real job entrypoint against the emulator and the stub, LLM_PROVIDER=gemini
 * with a fake key). Then, for `durationMs`: concurrent builds (bursts of
 * identical ones, some forced), readers (run.json with ETag, events, artifacts,
 * listings, the run page, the aliases), SSE watchers, operator retries of
 * failed nodes, cancels, deletes, and SIGKILLs of random job processes.
 *
 * Then it quiesces (load stops; every run that is not deleted must reach a
 * terminal state, with a `resume` for a run nobody is working on any more),
 * clears the faults, and runs the checker; it also scans the store, the job
 * and orchestrator logs and every HTTP answer for the fake Gemini key.
 *
 * Loopback only; bounded in time and in the number of runs alive at once; stops by itself.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../orchestrator/app.ts';
import { jobEnvFor } from '../../orchestrator/job-env.ts';
import { jobEntrypoint, jobWorkerEntrypoint } from '../../orchestrator/launcher-from-config.ts';
import type { LauncherLogger } from '../../orchestrator/launchers/job-launcher.ts';
import { getLocalLauncher, type LocalLauncher } from '../../orchestrator/launchers/local-launcher.ts';
import { getLocalWorkerLauncher } from '../../orchestrator/launchers/local-worker-launcher.ts';
import { loadConfig } from '../../shared/config.ts';
import type { BuildParams } from '../../shared/domain/params.ts';
import { isTerminal, project, type RunState } from '../../shared/domain/run-state.ts';
import { getLogger } from '../../shared/logger.ts';
import { getGcsRunStore } from '../../shared/store/gcs-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { FAULT_KINDS, startGcsEmulator, type FaultKind, type GcsEmulator } from '../../test/support/gcs-emulator.ts';
import { startGeminiStub, type GeminiStub } from '../../test/support/gemini-stub.ts';
import { checkStore, scanForSecret, storedRunIds, type Anomaly } from './checker.ts';
import { getHttpLog, type HttpLog } from './http-log.ts';
import { feedModelFaults, type ModelFaultFeeder, type ModelFaultKind } from './model-faults.ts';
import { getRng } from './rng.ts';
import { watchRun, type SseWatch } from './sse-watcher.ts';
import type { BuildRecord, DeleteRecord, SseRecord } from './types.ts';

export interface SoakOptions {
  /** How long the load runs (the quiesce and the check come after). */
  durationMs: number;
  seed?: number;
  /** Concurrent load workers. Default 4. */
  workers?: number;
  /** No build is sent while this many runs are unfinished. Default 4. */
  maxActiveRuns?: number;
  /** SSE watchers open at once, at most. Default 3. */
  maxWatchers?: number;
  /** Mean time between two SIGKILLs of a job process. Default 3000 ms. */
  killEveryMs?: number;
  /**
   * How the local launcher runs executions: `process` (one job process each, the default) or
   * `worker` (one long-lived job worker runs them all; a kill then takes every run it holds).
   */
  jobMode?: 'process' | 'worker';
  /** JOB_MAX_RETRIES of the local launcher (task retries after the first attempt). Default 10. */
  jobMaxRetries?: number;
  /**
   * An execution is killed at most this often. Default 5, below JOB_MAX_RETRIES, so the
   * launcher never gives up; above it, executions are abandoned and the quiesce must resume them.
   */
  maxKillsPerExecution?: number;
  /** Chance of each injected GCS fault kind per matching request. Default 0.02. */
  gcsFaultRate?: number;
  /** Chance that a model call is answered with a fault. Default 0.06. */
  modelFaultRate?: number;
  /** GCS's per-object mutation limit (writes per second), or null for none. Default null. */
  writeRateLimit?: number | null;
  /** Longest wait for every run to settle after the load stops. Default 90 s. */
  quiesceMs?: number;
  /** Keep the work directory (logs) even when nothing went wrong. */
  keepDir?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface SoakReport {
  seed: number;
  loadMs: number;
  wallMs: number;
  requests: { total: number; byClass: Record<string, number>; histogram: Record<string, Record<string, number>> };
  runs: { total: number; succeeded: number; failed: number; cancelled: number; deleted: number; unfinished: number };
  builds: { total: number; created: number; reused: number; forced: number; bursts: number };
  operations: { retries: number; cancels: number; deletes: number; resumes: number };
  sse: { watchers: number; ended: number; events: number };
  jobs: { mode: 'process' | 'worker'; attempts: number; restarts: number; gaveUp: number; kills: number };
  faults: { gcs: Record<string, number>; gcsRateLimited: number; model: Partial<Record<ModelFaultKind, number>>; modelCalls: number };
  events: number;
  anomalies: Anomaly[];
  workDir: string | null;
}

const API_KEY_OF = { acme: `acme-soak-${randomBytes(6).toString('hex')}`, globex: `globex-soak-${randomBytes(6).toString('hex')}` } as const;
type Tenant = keyof typeof API_KEY_OF;

const COMPANIES = ['Acme Grid', 'Nordlicht Netz AG', 'Harbour & Vine Grocers', 'Kestrel Freight', 'Orbis Water', 'Lumen Rail', 'Tessellate Health', 'Polaris Ports'];
const QUESTIONS = [
  'How will European grid operators fund the 2035 transition?',
  'What will Australian grocery shoppers value most by then?',
  'How will freight networks adapt to carbon border taxes?',
  'Who will pay for resilient urban water systems?',
];

/** A pool of distinct, already normalised build params (identical picks are identical builds). */
function paramsPool(n: number): BuildParams[] {
  return Array.from({ length: n }, (_, i) => ({
    company: COMPANIES[i % COMPANIES.length] as string,
    focalQuestion: QUESTIONS[Math.floor(i / COMPANIES.length) % QUESTIONS.length] as string,
    horizonYear: 2030 + (i % 40),
    region: `Region ${Math.floor(i / (COMPANIES.length * QUESTIONS.length))}`,
  }));
}

interface KnownRun {
  runId: string;
  tenant: Tenant;
  sigKey: string;
  status: string;
  deleted: boolean;
  etag: string | null;
  state: RunState | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** A launcher logger that counts attempts and restarts, and forwards to the orchestrator's log. */
function countingLogger(inner: LauncherLogger, counts: { attempts: number; restarts: number; gaveUp: number }): LauncherLogger {
  return {
    info(fields, message) {
      if (message === 'job attempt started') counts.attempts++;
      inner.info(fields, message);
    },
    warn(fields, message) {
      if (message === 'job attempt failed; starting it again') counts.restarts++;
      else if (message === 'job attempt failed') counts.gaveUp++;
      inner.warn(fields, message);
    },
    error: (fields, message) => inner.error(fields, message),
  };
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const wallStart = Date.now();
  const seed = options.seed ?? (Date.now() % 1_000_000);
  const rng = getRng(seed);
  const say = options.log ?? (() => undefined);
  const geminiKey = `AIzaSyFAKE-soak-${randomBytes(12).toString('hex')}`;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'sf-soak-'));
  const jobLogPath = path.join(workDir, 'jobs.log');
  const orchestratorLogPath = path.join(workDir, 'orchestrator.log');

  let emulator: GcsEmulator | null = null;
  let gemini: GeminiStub | null = null;
  let feeder: ModelFaultFeeder | null = null;
  let launcher: LocalLauncher | null = null;
  let server: Server | null = null;
  let orchestratorLog: WriteStream | null = null;
  const watches = new Set<SseWatch>();
  let keep = options.keepDir ?? false;

  try {
    // ---- the world -------------------------------------------------------------------
    emulator = await startGcsEmulator({ seed, writeRateLimit: options.writeRateLimit ?? null });
    const rate = options.gcsFaultRate ?? 0.02;
    // A spurious 412 only makes sense where the client sent a precondition: the log, the lease, run.json, claims.
    emulator.faults.inject({ op: 'upload', name: /(events\.jsonl|lease\.json|run\.json|\/signatures\/)/, action: '412', probability: rate });
    emulator.faults.inject({ op: 'upload', action: '429', probability: rate });
    emulator.faults.inject({ op: 'upload', action: '503', probability: rate });
    emulator.faults.inject({ op: 'upload', action: 'drop-after-commit', probability: rate });
    emulator.faults.inject({ op: ['download', 'metadata', 'list', 'delete'], action: '503', probability: rate / 2 });
    emulator.faults.inject({ op: ['download', 'metadata', 'list', 'delete'], action: '429', probability: rate / 2 });
    emulator.faults.inject({ op: ['download', 'metadata'], action: 'drop-after-commit', probability: rate / 2 });

    gemini = await startGeminiStub({ apiKey: geminiKey });
    feeder = feedModelFaults(gemini, { rate: options.modelFaultRate ?? 0.06, rng: getRng(seed ^ 0x5eed), key: geminiKey, earlyTerminal: [25, 70] });

    const bucket = 'sf-soak';
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? os.tmpdir(),
      RUN_STORE: 'gcs',
      GCS_BUCKET: bucket,
      RUNS_PREFIX: 'soak',
      GCS_API_ENDPOINT: emulator.url,
      GOOGLE_CLOUD_PROJECT: 'soak',
      API_KEYS: `acme:${API_KEY_OF.acme},globex:${API_KEY_OF.globex}`,
      JOB_LAUNCHER: 'local',
      JOB_MAX_RETRIES: String(options.jobMaxRetries ?? 10),
      LLM_PROVIDER: 'gemini',
      GEMINI_API_KEY: geminiKey,
      GEMINI_BASE_URL: gemini.baseUrl,
      GEMINI_TIMEOUT_MS: '2000',
      NODE_RETRY_BASE_MS: '20',
      NODE_MAX_ATTEMPTS: '5',
      NODE_CONCURRENCY: '4',
      RATE_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'info',
    };
    const config = loadConfig(env);
    orchestratorLog = createWriteStream(orchestratorLogPath);
    const logger = getLogger({ name: 'orchestrator', level: 'info', destination: orchestratorLog });
    const store: RunStore = getGcsRunStore({ bucket, prefix: 'soak', apiEndpoint: emulator.url, projectId: 'soak' });

    // The job's stdout and stderr go to a file we can scan: a shell that execs Node (same pid, so SIGKILL hits the job).
    const wrapper = path.join(workDir, 'node-job.sh');
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    await writeFile(wrapper, `#!/bin/sh\nexec ${q(process.execPath)} "$@" >>${q(jobLogPath)} 2>&1\n`);
    await chmod(wrapper, 0o755);
    const jobs = { attempts: 0, restarts: 0, gaveUp: 0, kills: 0 };
    const launcherOptions = {
      entrypoint: jobEntrypoint(),
      env: jobEnvFor(config, env),
      maxRetries: config.launcher.kind === 'local' ? config.launcher.maxRetries : 3,
      stdio: 'stderr' as const,
      execPath: wrapper,
      killGraceMs: 3_000,
      onClose: 'terminate' as const,
      logger: countingLogger(logger, jobs),
    };
    launcher = options.jobMode === 'worker'
      ? getLocalWorkerLauncher({ ...launcherOptions, entrypoint: jobWorkerEntrypoint() })
      : getLocalLauncher(launcherOptions);
    const local = launcher;

    const app = createApp({ config, store, launcher: local, logger });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    // Longer than any client's idle reuse, so a reused connection is never closed under a request.
    server.keepAliveTimeout = 65_000;
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const http: HttpLog = getHttpLog(base, geminiKey);
    say(`soak: seed ${seed}, load ${Math.round(options.durationMs / 1000)} s, orchestrator ${base}, GCS ${emulator.url}, work dir ${workDir}`);

    // ---- what the load knows -------------------------------------------------------------
    // Big enough that a long soak keeps creating runs, small enough that identical builds are common.
    const poolSize = Math.min(1000, 60 + Math.round(options.durationMs / 5000));
    const pools: Record<Tenant, BuildParams[]> = { acme: paramsPool(poolSize), globex: paramsPool(poolSize) };
    const hot: Record<Tenant, number[]> = { acme: [], globex: [] };
    const runs = new Map<string, KnownRun>();
    const builds: BuildRecord[] = [];
    const deletes: DeleteRecord[] = [];
    const sseRecords: SseRecord[] = [];
    const ops = { retries: 0, cancels: 0, deletes: 0, resumes: 0, bursts: 0 };
    /** When a job process last ran for each run (the load's idea of "somebody is working on it"). */
    const lastWorked = new Map<string, number>();
    const maxActive = options.maxActiveRuns ?? 4;
    const maxWatchers = options.maxWatchers ?? 3;
    let stopping = false;

    const active = (): KnownRun[] => [...runs.values()].filter((r) => !r.deleted && !TERMINAL.has(r.status));
    /** Runs to read: mostly live ones, sometimes deleted ones (which must answer 404/410). */
    const known = (): KnownRun[] => {
      const all = [...runs.values()];
      const live = all.filter((r) => !r.deleted);
      return live.length > 0 && rng.chance(0.9) ? live : all;
    };
    const sigKeyOf = (tenant: Tenant, i: number) => `${tenant}|${i}`;

    const remember = (runId: string, tenant: Tenant, sigKey: string, status: string): void => {
      const r = runs.get(runId);
      if (r) {
        if (!r.deleted && !TERMINAL.has(r.status)) r.status = status;
        return;
      }
      runs.set(runId, { runId, tenant, sigKey, status, deleted: false, etag: null, state: null });
    };

    const readRunJson = async (r: KnownRun, conditional: boolean): Promise<void> => {
      const headers: Record<string, string> = conditional && r.etag ? { 'if-none-match': r.etag } : {};
      const res = await http.request('GET', `/runs/${r.runId}/run.json`, '/runs/:id/run.json', { headers });
      if (!res) return;
      if (res.status === 304) return;
      if (res.status === 410 || res.status === 404) {
        r.deleted = true;
        return;
      }
      if (res.status !== 200) return;
      const state = JSON.parse(res.text) as RunState;
      const etag = res.headers.get('etag');
      if (etag !== `"${state.lastSeq}"`) {
        http.bad.push({ method: 'GET', path: `/runs/${r.runId}/run.json`, status: 200, detail: `ETag ${etag} does not name lastSeq ${state.lastSeq}`, at: Date.now() });
      }
      r.etag = etag;
      r.state = state;
      r.status = state.status;
      r.deleted = state.deleted;
    };

    // ---- the actions ------------------------------------------------------------------------
    const build = async (tenant: Tenant, i: number, force: boolean): Promise<void> => {
      const sigKey = sigKeyOf(tenant, i);
      const start = Date.now();
      const res = await http.request('POST', '/build', '/build', { key: API_KEY_OF[tenant], body: { params: pools[tenant][i], ...(force ? { force: true } : {}) } });
      const end = Date.now();
      let runId: string | null = null;
      let reused: boolean | null = null;
      if (res && (res.status === 200 || res.status === 202)) {
        const body = JSON.parse(res.text) as { runId: string; reused: boolean; status: string };
        runId = body.runId;
        reused = body.reused;
        remember(runId, tenant, sigKey, body.status);
      }
      builds.push({ tenant, sigKey, force, start, end, status: res?.status ?? 0, runId, reused });
    };

    const actions = {
      async build() {
        if (active().length >= maxActive) return;
        const tenant: Tenant = rng.chance(0.6) ? 'acme' : 'globex';
        const h = hot[tenant];
        const i = h.length > 0 && rng.chance(0.5) ? rng.pick(h) : rng.int(pools[tenant].length);
        h.push(i);
        if (h.length > 6) h.shift();
        if (rng.chance(0.25)) {
          // A burst of identical builds at once: one run.
          ops.bursts++;
          await Promise.all(Array.from({ length: 2 + rng.int(5) }, () => build(tenant, i, false)));
        } else {
          await build(tenant, i, rng.chance(0.12));
        }
      },
      async readRun() {
        const all = known();
        if (all.length === 0) return;
        await readRunJson(rng.pick(all), rng.chance(0.7));
      },
      async readEvents() {
        const all = known();
        if (all.length === 0) return;
        const r = rng.pick(all);
        const after = rng.chance(0.5) ? 0 : rng.int(20);
        const res = await http.request('GET', `/runs/${r.runId}/events${after > 0 ? `?after=${after}` : ''}`, '/runs/:id/events');
        if (!res || res.status !== 200) return;
        const seqs = res.text.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { seq: number }).seq);
        if (seqs.some((s, k) => s !== after + k + 1)) {
          http.bad.push({ method: 'GET', path: `/runs/${r.runId}/events?after=${after}`, status: 200, detail: `JSONL seqs not contiguous from ${after + 1}: ${seqs.slice(0, 20).join(',')}`, at: Date.now() });
        }
      },
      async readArtifact() {
        const withArtifacts = known().filter((r) => r.state && Object.values(r.state.nodes).some((n) => n.artifacts.length > 0));
        if (withArtifacts.length === 0) return;
        const r = rng.pick(withArtifacts);
        const names = Object.values(r.state?.nodes ?? {}).flatMap((n) => n.artifacts);
        const name = rng.pick(names);
        const alias = rng.chance(0.2);
        await http.request('GET', alias ? `/artifact/${r.runId}/${name}` : `/runs/${r.runId}/artifacts/${name}`, alias ? '/artifact/:id/:name' : '/runs/:id/artifacts/:name');
      },
      async list() {
        const tenant: Tenant = rng.pick(['acme', 'globex'] as const);
        const status = rng.chance(0.3) ? rng.pick(['queued', 'running', 'succeeded', 'failed', 'cancelled']) : null;
        const limit = 1 + rng.int(20);
        const res = await http.request('GET', `/runs?limit=${limit}${status ? `&status=${status}` : ''}`, '/runs', { key: API_KEY_OF[tenant] });
        if (res?.status !== 200) return;
        const page = JSON.parse(res.text) as { nextCursor: string | null };
        if (page.nextCursor && rng.chance(0.5)) {
          await http.request('GET', `/runs?limit=${limit}&cursor=${encodeURIComponent(page.nextCursor)}${status ? `&status=${status}` : ''}`, '/runs', { key: API_KEY_OF[tenant] });
        }
      },
      async misc() {
        const all = known();
        const which = rng.pick(['latest', 'health', 'page', 'node_events', 'normalization', 'logs'] as const);
        if (which === 'latest') await http.request('GET', '/latest', '/latest', { key: API_KEY_OF[rng.pick(['acme', 'globex'] as const)] });
        else if (which === 'health') await http.request('GET', '/health', '/health');
        else if (all.length > 0) {
          const r = rng.pick(all);
          if (which === 'page') await http.request('GET', `/runs/${r.runId}`, '/runs/:id');
          else if (which === 'node_events') await http.request('GET', `/run/${r.runId}/node_events`, '/run/:id/node_events');
          else if (which === 'normalization') await http.request('GET', `/run/${r.runId}/normalization`, '/run/:id/normalization');
          else await http.request('GET', `/run/${r.runId}/logs/${rng.pick(['events', 'nodes', 'executions'])}`, '/run/:id/logs/:name');
        }
      },
      async retry() {
        const failed = known().filter((r) => !r.deleted && (r.status === 'failed' || r.status === 'cancelled'));
        if (failed.length === 0) return;
        const r = rng.pick(failed);
        await readRunJson(r, false);
        const node = Object.entries(r.state?.nodes ?? {}).find(([, n]) => n.status === 'failed' || n.status === 'cancelled')?.[0];
        if (!node || r.deleted) return;
        const res = await http.request('POST', `/runs/${r.runId}/nodes/${node}/retry`, '/runs/:id/nodes/:node/retry', { key: API_KEY_OF[r.tenant] });
        if (res?.status === 202) {
          ops.retries++;
          r.status = 'queued';
        }
      },
      async cancel() {
        const live = active();
        // About one run in ten is cancelled: a cancelled run never shows the rest of its life.
        if (live.length === 0 || ops.cancels >= 1 + runs.size / 10) return;
        const r = rng.pick(live);
        const res = await http.request('POST', `/runs/${r.runId}/cancel`, '/runs/:id/cancel', { key: API_KEY_OF[r.tenant] });
        if (res?.status === 202) ops.cancels++;
      },
      async delete() {
        const all = [...runs.values()].filter((r) => !r.deleted);
        // About one run in five is deleted, so most live long enough to be read, retried and checked whole.
        if (all.length < 4 || ops.deletes >= runs.size / 5) return;
        // Mostly finished runs; sometimes one that is running.
        const finished = all.filter((r) => TERMINAL.has(r.status));
        const r = finished.length > 0 && rng.chance(0.85) ? rng.pick(finished) : rng.pick(all);
        const start = Date.now();
        const res = await http.request('DELETE', `/runs/${r.runId}`, '/runs/:id', { key: API_KEY_OF[r.tenant] });
        deletes.push({ runId: r.runId, sigKey: r.sigKey, start, end: Date.now(), status: res?.status ?? 0 });
        if (res?.status === 200) {
          ops.deletes++;
          r.deleted = true;
        }
      },
      async resume() {
        // An operator noticing a run nobody works on any more (its execution gave up): resume it.
        const idle = active().filter((r) => Date.now() - (lastWorked.get(r.runId) ?? Date.now()) > 3_000);
        if (idle.length === 0) return;
        const r = rng.pick(idle);
        const res = await http.request('POST', `/runs/${r.runId}/resume`, '/runs/:id/resume', { key: API_KEY_OF[r.tenant] });
        if (res?.status === 202) ops.resumes++;
        lastWorked.set(r.runId, Date.now());
      },
      async watch() {
        if (watches.size >= maxWatchers) return;
        const live = active();
        const pool = live.length > 0 && rng.chance(0.8) ? live : known();
        if (pool.length === 0) return;
        const r = rng.pick(pool);
        const after = rng.chance(0.6) ? 0 : rng.int(15);
        const w = watchRun(http, r.runId, after, rng.chance(0.5) ? 'query' : 'last-event-id');
        watches.add(w);
        sseRecords.push(w.record);
        void w.done.finally(() => watches.delete(w));
      },
    };
    const WEIGHTS: Record<keyof typeof actions, number> = {
      build: 3, readRun: 5, readEvents: 2, readArtifact: 2, list: 1, misc: 1.5, retry: 2, cancel: 0.3, delete: 0.6, watch: 1, resume: 0.5,
    };

    // ---- the load -------------------------------------------------------------------------------
    const loadStart = Date.now();
    const loadEnd = loadStart + options.durationMs;
    const worker = async (n: number): Promise<void> => {
      const own = getRng(seed + 1000 + n);
      while (!stopping && Date.now() < loadEnd) {
        const action = own.weighted(WEIGHTS);
        await actions[action]();
        await sleep(own.int(60));
      }
    };
    // Keeps the statuses the load acts on fresh: conditional run.json reads of every unfinished run.
    const refresher = async (): Promise<void> => {
      while (!stopping && Date.now() < loadEnd) {
        const now = Date.now();
        for (const t of local.running()) lastWorked.set(t.runId, now);
        for (const r of active()) if (!lastWorked.has(r.runId)) lastWorked.set(r.runId, now);
        await Promise.all(active().map((r) => readRunJson(r, true)));
        await sleep(400);
      }
    };
    const killsPerExecution = new Map<string, number>();
    const killer = async (): Promise<void> => {
      const mean = options.killEveryMs ?? 3000;
      while (!stopping && Date.now() < loadEnd) {
        await sleep(Math.min(rng.exp(mean), loadEnd - Date.now()));
        if (Date.now() >= loadEnd) break;
        // Spare an execution killed often: past JOB_MAX_RETRIES the launcher gives up (the quiesce then resumes it).
        // A process is a candidate when every execution in it may be killed again (a worker holds several).
        const running = local.running();
        const spared = (name: string) => (killsPerExecution.get(name) ?? 0) >= (options.maxKillsPerExecution ?? 5);
        const candidates = [...new Set(running.map((t) => t.pid))].filter((pid) => !running.some((t) => t.pid === pid && spared(t.name)));
        if (candidates.length === 0) continue;
        const victim = rng.pick(candidates);
        try {
          process.kill(victim, 'SIGKILL');
          jobs.kills++;
          for (const t of running) if (t.pid === victim) killsPerExecution.set(t.name, (killsPerExecution.get(t.name) ?? 0) + 1);
        } catch {
          // It exited on its own first.
        }
      }
    };
    const progress = setInterval(() => {
      say(`soak: ${Math.round((Date.now() - loadStart) / 1000)} s: ${http.total} requests, ${runs.size} runs (${active().length} unfinished), ${jobs.kills} kills, ${watches.size} watchers`);
    }, 15_000);
    progress.unref();
    await Promise.all([...Array.from({ length: options.workers ?? 4 }, (_, n) => worker(n)), refresher(), killer()]);
    stopping = true;
    clearInterval(progress);
    const loadMs = Date.now() - loadStart;
    say(`soak: load stopped after ${Math.round(loadMs / 1000)} s (${http.total} requests, ${runs.size} runs, ${jobs.kills} kills); quiescing`);

    // ---- quiesce: every run that is not deleted reaches a terminal state -------------------------------
    const quiesceDeadline = Date.now() + (options.quiesceMs ?? 90_000);
    const idleRounds = new Map<string, number>();
    const refusedResume = new Set<string>();
    for (;;) {
      const unfinished: RunState[] = [];
      for (const runId of await storedRunIds(store)) {
        const state = project((await store.readLog(runId)).events);
        if (state.lastSeq > 0 && !state.deleted && !isTerminal(state.status)) unfinished.push(state);
      }
      if (unfinished.length === 0 || Date.now() > quiesceDeadline) {
        if (unfinished.length > 0) say(`soak: ${unfinished.length} run(s) still unfinished at the quiesce deadline`);
        break;
      }
      const working = new Set(local.running().map((t) => t.runId));
      for (const s of unfinished) {
        if (working.has(s.runId)) {
          idleRounds.delete(s.runId);
          continue;
        }
        const idle = (idleRounds.get(s.runId) ?? 0) + 1;
        idleRounds.set(s.runId, idle);
        // Nobody has worked on it for two rounds: its execution gave up (or was refused). Start another.
        if (idle >= 2) {
          const tenant = s.tenant === 'globex' ? 'globex' : 'acme';
          const res = await http.request('POST', `/runs/${s.runId}/resume`, '/runs/:id/resume', { key: API_KEY_OF[tenant] });
          if (res?.status === 202) ops.resumes++;
          else if (!refusedResume.has(s.runId)) {
            refusedResume.add(s.runId);
            say(`soak: resume of ${s.runId} (${s.status}${s.cancelRequested ? ', cancel requested' : ''}) answered ${res?.status ?? 'nothing'}: ${res?.text.slice(0, 160) ?? ''}`);
          }
          idleRounds.set(s.runId, -3);
        }
      }
      await sleep(1000);
    }
    // Watchers of settled runs end on their own within the tail's grace; the rest are cut.
    const watchDeadline = Date.now() + 12_000;
    while (watches.size > 0 && Date.now() < watchDeadline) await sleep(200);
    for (const w of watches) w.abort('the soak ended');
    await Promise.all([...watches].map((w) => w.done));
    // Jobs of deleted runs notice and stop; wait for every job to be gone.
    const jobsDeadline = Date.now() + 15_000;
    while (local.running().length > 0 && Date.now() < jobsDeadline) await sleep(200);
    feeder.stop();
    emulator.faults.clear();
    emulator.setWriteRateLimit(null);

    // ---- the check ------------------------------------------------------------------------------------
    say('soak: checking every run');
    const listRuns = async (tenant: string): Promise<string[]> => {
      const key = API_KEY_OF[tenant as Tenant];
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
    };
    const checked = await checkStore(store, {
      servedRunJson: async (runId) => {
        const res = await http.request('GET', `/runs/${runId}/run.json`, '/runs/:id/run.json');
        return { status: res?.status ?? 0, body: res?.text ?? '' };
      },
      listRuns,
      tenants: ['acme', 'globex'],
      builds,
      deletes,
      failedRequests: http.failed,
      badResponses: http.bad,
      sse: sseRecords,
      requireTerminal: true,
      runIds: [...runs.keys()],
    });
    const anomalies = [...checked.anomalies];

    // ---- the secret -----------------------------------------------------------------------------------
    for (const name of emulator.listNames(bucket)) {
      const obj = emulator.getObject(bucket, name);
      if (obj) anomalies.push(...scanForSecret(`gs://${bucket}/${name}`, obj.bytes, geminiKey));
    }
    await new Promise<void>((resolve) => orchestratorLog?.end(resolve) ?? resolve());
    orchestratorLog = null;
    anomalies.push(...scanForSecret('the orchestrator log', await readFile(orchestratorLogPath), geminiKey));
    anomalies.push(...scanForSecret('the job logs', await readFile(jobLogPath).catch(() => Buffer.alloc(0)), geminiKey));
    for (const where of http.leaks) anomalies.push({ kind: 'secret_leak', detail: `the Gemini key was served in ${where}` });
    if (anomalies.length > 0) keep = true;

    // ---- the report -----------------------------------------------------------------------------------
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
    const gcs: Record<string, number> = {};
    for (const kind of FAULT_KINDS) if (emulator.stats.faults[kind] > 0) gcs[kind] = emulator.stats.faults[kind as FaultKind];
    const count = (p: (r: (typeof checked.runs)[number]) => boolean) => checked.runs.filter(p).length;
    return {
      seed,
      loadMs,
      wallMs: Date.now() - wallStart,
      requests: { total: http.total, byClass, histogram },
      runs: {
        total: checked.runs.length,
        succeeded: count((r) => !r.deleted && r.status === 'succeeded'),
        failed: count((r) => !r.deleted && r.status === 'failed'),
        cancelled: count((r) => !r.deleted && r.status === 'cancelled'),
        deleted: count((r) => r.deleted),
        unfinished: count((r) => !r.deleted && !TERMINAL.has(r.status)),
      },
      builds: {
        total: builds.length,
        created: builds.filter((b) => b.status === 202).length,
        reused: builds.filter((b) => b.status === 200).length,
        forced: builds.filter((b) => b.force).length,
        bursts: ops.bursts,
      },
      operations: { retries: ops.retries, cancels: ops.cancels, deletes: ops.deletes, resumes: ops.resumes },
      sse: {
        watchers: sseRecords.length,
        ended: sseRecords.filter((s) => s.end !== null).length,
        events: sseRecords.reduce((n, s) => n + s.frames.length, 0),
      },
      jobs: { mode: options.jobMode ?? 'process', attempts: jobs.attempts, restarts: jobs.restarts, gaveUp: jobs.gaveUp, kills: jobs.kills },
      faults: { gcs, gcsRateLimited: emulator.stats.rateLimited, model: { ...feeder.injected }, modelCalls: feeder.calls },
      events: checked.runs.reduce((n, r) => n + r.events, 0),
      anomalies,
      workDir: keep ? workDir : null,
    };
  } catch (err) {
    keep = true;
    throw err;
  } finally {
    for (const w of watches) w.abort('the soak ended');
    feeder?.stop();
    await launcher?.close().catch(() => undefined);
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    }
    await gemini?.close().catch(() => undefined);
    await emulator?.stop().catch(() => undefined);
    if (orchestratorLog) await new Promise<void>((resolve) => orchestratorLog?.end(resolve) ?? resolve());
    if (!keep) await rm(workDir, { recursive: true, force: true });
  }
}

/** The report as a table for a terminal. */
export function formatReport(r: SoakReport): string {
  const rows: [string, string][] = [
    ['seed', String(r.seed)],
    ['load / wall time', `${(r.loadMs / 1000).toFixed(1)} s / ${(r.wallMs / 1000).toFixed(1)} s`],
    ['requests', `${r.requests.total} (${Object.entries(r.requests.byClass).map(([k, v]) => `${k} ${v}`).join(', ')})`],
    ['runs', `${r.runs.total}: ${r.runs.succeeded} succeeded, ${r.runs.failed} failed, ${r.runs.cancelled} cancelled, ${r.runs.deleted} deleted, ${r.runs.unfinished} unfinished`],
    ['builds', `${r.builds.total}: ${r.builds.created} created, ${r.builds.reused} reused, ${r.builds.forced} forced, ${r.builds.bursts} identical bursts`],
    ['operator actions', `${r.operations.retries} node retries, ${r.operations.cancels} cancels, ${r.operations.deletes} deletes, ${r.operations.resumes} resumes`],
    ['SSE watchers', `${r.sse.watchers} (${r.sse.ended} saw the end), ${r.sse.events} events streamed`],
    [r.jobs.mode === 'worker' ? 'job worker (LOCAL_JOB_MODE=worker)' : 'job processes', `${r.jobs.attempts} attempts, ${r.jobs.kills} SIGKILLs, ${r.jobs.restarts} restarts, ${r.jobs.gaveUp} gave up`],
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
