/**
 * Overhead benchmark: the whole pipeline on a fixed-latency model (every model
 * step takes exactly LATENCY ms, as in ../shared/PEERS.md) against the DAG's
 * critical path, the floor no scheduler can beat. Also: 20 runs at once, and a
 * job SIGKILLed mid-run and restarted.
 *   npm run bench:overhead
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { NODES, OFFLINE_RESPONDERS } from '../../job-runner/nodes/index.ts';
import { defaultRunnerOptions, runExecution } from '../../job-runner/runner.ts';
import { isEventOf, type StoredEvent } from '../../shared/domain/events.ts';
import { criticalPath } from '../../shared/domain/pipeline.ts';
import { project } from '../../shared/domain/run-state.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { getNoopPublisher } from '../../shared/events-bus/event-publisher.ts';
import { getOfflineModel } from '../../shared/llm/offline-model.ts';
import { silentLogger } from '../../shared/logger.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { allMet, fmt, interleaved, machine, mark, median, msWithSpread, ratios, runAlone, section, spread, table, timeAsync, type BenchResult, type Target } from './harness.ts';
import { localJobEnv, startJob } from '../../test/support/job-process.ts';
import { createRun } from '../../test/support/runs.ts';
import { getLocalWorkerLauncher } from '../../orchestrator/launchers/local-worker-launcher.ts';

const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 200);
const REPS = Number(process.env.BENCH_REPS ?? 7);
const CONCURRENT = 20;
const ROOT = path.resolve(import.meta.dirname, '../..');
/** The job as the image runs it: compiled by tsconfig.build.json (built by this benchmark first). */
const JOB = path.join(ROOT, 'dist/job-runner/main.js');
const JOB_TS = path.join(ROOT, 'job-runner/main.ts');
const WORKER = path.join(ROOT, 'dist/job-runner/worker.js');
const MODEL_NODES = new Set(Object.values(NODES).filter((n) => n.kind === 'model').map((n) => n.id));
const CRITICAL = criticalPath(SCENARIOFORGE_PIPELINE.nodes, (id) => (MODEL_NODES.has(id) ? LATENCY : 0));

const PARAMS = { company: 'Acme Grid', focalQuestion: 'How will European grid operators fund the 2035 transition?', horizonYear: 2035 };

async function inProcess(store: RunStore, runId: string, executionId: string): Promise<void> {
  const result = await runExecution(
    { store, model: getOfflineModel({ responders: OFFLINE_RESPONDERS, latencyMs: LATENCY }), nodes: NODES, publisher: getNoopPublisher(), logger: silentLogger, newId: uuidv7 },
    { runId, executionId },
    defaultRunnerOptions(store),
    new AbortController().signal,
  );
  if (result.outcome !== 'succeeded') throw new Error(`run ended ${result.outcome}`);
}

/** The job as a process on the bench's store, with the fixed-latency offline model. */
const jobProcess = (dir: string, runId: string, executionId: string, extra: Record<string, string> = {}, entry = JOB) =>
  startJob(localJobEnv(dir, runId, executionId, { OFFLINE_MODEL_LATENCY_MS: String(LATENCY), LOG_LEVEL: 'error', ...extra }), entry);

/** Compiles the job as the image runs it (`tsc -p tsconfig.build.json` into dist/). */
export function buildJob(): Promise<void> {
  return new Promise((resolve, reject) => {
    const tsc = spawn(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
    tsc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json exited ${code}`))));
  });
}

const newRun = (store: RunStore) => createRun(store, { params: PARAMS, tenant: 'bench' });

/** One run: in this process, as a compiled job process, as a .ts job process (first round dropped). */
function measureOne(dir: string, store: RunStore) {
  return interleaved({ reps: REPS, warmup: 1 }, {
    one: async () => {
      const a = await newRun(store);
      return timeAsync(() => inProcess(store, a.runId, a.executionId));
    },
    proc: async () => {
      const b = await newRun(store);
      return timeAsync(async () => {
        const { code } = await jobProcess(dir, b.runId, b.executionId).exit;
        if (code !== 0) throw new Error(`job exited ${code}`);
      });
    },
    procTs: async () => {
      const c = await newRun(store);
      return timeAsync(() => jobProcess(dir, c.runId, c.executionId, {}, JOB_TS).exit);
    },
  });
}

/** CONCURRENT runs at once: in one process, and as as many job processes. */
function measureMany(dir: string, store: RunStore) {
  const runs = () => Promise.all(Array.from({ length: CONCURRENT }, () => newRun(store)));
  return interleaved({ reps: 3 }, {
    many: async () => {
      const xs = await runs();
      return timeAsync(() => Promise.all(xs.map((x) => inProcess(store, x.runId, x.executionId))));
    },
    manyProc: async () => {
      const xs = await runs();
      return timeAsync(() => Promise.all(xs.map((x) => jobProcess(dir, x.runId, x.executionId).exit)));
    },
  });
}

/** Worker mode (LOCAL_JOB_MODE=worker), launch included: the local worker launcher hands each run to its warm job worker. */
async function measureWorker(dir: string, store: RunStore) {
  const launcher = getLocalWorkerLauncher({
    entrypoint: WORKER, maxRetries: 0, stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '', RUN_STORE: 'local', RUNS_DIR: dir, LLM_PROVIDER: 'offline', OFFLINE_MODEL_LATENCY_MS: String(LATENCY), LOG_LEVEL: 'error' },
  });
  const viaWorker = async (): Promise<void> => {
    const x = await newRun(store);
    await launcher.launch({ runId: x.runId, executionId: x.executionId });
    const end = await launcher.waitFor(x.executionId);
    if (end.outcome !== 'succeeded') throw new Error(`worker-mode run ended ${end.outcome}`);
  };
  try {
    const { oneWorker } = await interleaved({ reps: REPS, warmup: 1 }, { oneWorker: () => timeAsync(viaWorker) });
    const { manyWorker } = await interleaved({ reps: 3 }, { manyWorker: () => timeAsync(() => Promise.all(Array.from({ length: CONCURRENT }, viaWorker))) });
    return { oneWorker, manyWorker };
  } finally {
    await launcher.close();
  }
}

const nodeOf = (e: StoredEvent) => (e.data as { node: string }).node;

/** SIGKILL 700 ms into the run itself (as the peers were measured), restart at once (as the local launcher and Cloud Run's task retry do). */
async function crashAndRestart(dir: string, store: RunStore): Promise<{ done: number; firstStep: number; rerun: number }> {
  const x = await newRun(store);
  const first = jobProcess(dir, x.runId, x.executionId);
  // 700 ms into the run itself, not into process start-up.
  while (!(await store.readLog(x.runId)).events.some((e) => isEventOf(e, 'execution.started'))) {
    await new Promise((res) => setTimeout(res, 5));
  }
  await new Promise((res) => setTimeout(res, 700));
  first.child.kill('SIGKILL');
  await first.exit;
  const before = (await store.readLog(x.runId)).events;
  const inFlight = new Set(before.filter((e) => isEventOf(e, 'node.attempt.started')).map(nodeOf));
  for (const e of before) if (isEventOf(e, 'node.attempt.succeeded')) inFlight.delete(e.data.node);
  const restart = performance.now();
  const restartEpoch = Date.now();
  await jobProcess(dir, x.runId, x.executionId, { CLOUD_RUN_TASK_ATTEMPT: '1' }).exit;
  const done = performance.now() - restart;
  const after = (await store.readLog(x.runId)).events.slice(before.length);
  const started = after.filter((e) => isEventOf(e, 'node.attempt.started'));
  const firstAt = started[0] ? Date.parse(started[0].at) : NaN;
  if (project((await store.readLog(x.runId)).events).status !== 'succeeded') throw new Error('crashed run did not finish');
  return { done, firstStep: firstAt - restartEpoch, rerun: started.filter((e) => inFlight.has(nodeOf(e))).length };
}

type Samples = Awaited<ReturnType<typeof measureOne>> & Awaited<ReturnType<typeof measureMany>> & Awaited<ReturnType<typeof measureWorker>>;
type Crash = Awaited<ReturnType<typeof crashAndRestart>>;

/** measure, wall, ratio to the critical path, target, verdict. */
function row(measure: string, wall: string, ratio: string, target: Target | string): string[] {
  return typeof target === 'string' ? [measure, wall, ratio, target, ''] : [measure, wall, ratio, target.text, mark(target.met)];
}

function overheadRows(s: Samples, crash: Crash[]): { rows: string[][]; targets: Target[] } {
  const onPath = (xs: number[]) => ratios(xs, CRITICAL);
  const wall = msWithSpread;
  const oneR = median(onPath(s.one));
  const startup = median(s.proc) - median(s.one);
  const manyR = median(onPath(s.many));
  const crashDone = median(crash.map((c) => c.done));
  const targets = {
    one: { text: '≤ 1.03×', met: oneR <= 1.03 },
    startup: { text: 'start-up ≤ 300 ms', met: startup <= 300 },
    many: { text: '≤ 1.10×', met: manyR <= 1.1 },
    crash: { text: '< 1,400 ms (Restate 1.38–1.50 s)', met: crashDone < 1400 },
  };
  const rows = [
    row('one run, in the job process (median of ' + REPS + ')', wall(s.one), `${fmt(oneR, 3)}×`, targets.one),
    row('one run, job process spawn → exit (compiled, as in the image)', wall(s.proc), `${fmt(median(onPath(s.proc)), 3)}× (start-up ${fmt(startup)} ms)`, targets.startup),
    row('one run, job process spawn → exit (.ts by type stripping, dev)', wall(s.procTs), `${fmt(median(onPath(s.procTs)), 3)}× (start-up ${fmt(median(s.procTs) - median(s.one))} ms)`, 'for information'),
    row(`${CONCURRENT} runs at once, one process (3 reps)`, wall(s.many), `${fmt(manyR, 3)}× [${spread(onPath(s.many))}]`, targets.many),
    row('one run, worker mode (`LOCAL_JOB_MODE=worker`), create → launch → ended', wall(s.oneWorker), `${fmt(median(onPath(s.oneWorker)), 3)}×`, 'for information'),
    row(`${CONCURRENT} runs at once, worker mode, launch included (3 reps)`, wall(s.manyWorker), `${fmt(median(onPath(s.manyWorker)), 3)}× [${spread(onPath(s.manyWorker))}]`, 'for information'),
    row(`${CONCURRENT} job processes at once (3 reps)`, wall(s.manyProc), `${fmt(median(onPath(s.manyProc)), 3)}× [${spread(onPath(s.manyProc))}]`, 'for information'),
    row('SIGKILL at 700 ms → restart → run done (5 reps)', `${fmt(crashDone)} ms [${spread(crash.map((c) => c.done))}]`, '', targets.crash),
    row('restart → first re-run step starts', `${fmt(median(crash.map((c) => c.firstStep)))} ms`, '', 'Restate 0.55–0.67 s'),
    row('attempts re-run after the crash', `${crash.map((c) => c.rerun).join(', ')}`, '', 'only those in flight (Restate: 4)'),
  ];
  return { rows, targets: Object.values(targets) };
}

export async function benchOverhead(): Promise<BenchResult> {
  await buildJob();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-bench-'));
  const store = getLocalRunStore(dir);
  try {
    const samples = { ...(await measureOne(dir, store)), ...(await measureMany(dir, store)), ...(await measureWorker(dir, store)) };
    const crash: Crash[] = [];
    for (let r = 0; r < 5; r++) crash.push(await crashAndRestart(dir, store));
    const { rows, targets } = overheadRows(samples, crash);
    const markdown = section(
      `Overhead: whole pipeline vs its critical path (${LATENCY} ms per model step, critical path ${fmt(CRITICAL)} ms)`,
      `${machine()}; local store (fsync on), offline model with fixed latency.`,
      table(['measure', 'wall', 'ratio', 'target', ''], rows),
    );
    return { markdown, ok: allMet(targets) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await runAlone(benchOverhead);
