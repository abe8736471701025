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
import { isEventOf } from '../../shared/domain/events.ts';
import { criticalPath } from '../../shared/domain/pipeline.ts';
import { project } from '../../shared/domain/run-state.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { getNoopPublisher } from '../../shared/events-bus/event-publisher.ts';
import { getOfflineModel } from '../../shared/llm/offline-model.ts';
import { silentLogger } from '../../shared/logger.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { fmt, machine, median, spread, table } from './stats.ts';
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

const timed = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

/** Compiles the job as the image runs it (`tsc -p tsconfig.build.json` into dist/). */
export function buildJob(): Promise<void> {
  return new Promise((resolve, reject) => {
    const tsc = spawn(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
    tsc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json exited ${code}`))));
  });
}

export async function benchOverhead(): Promise<{ markdown: string; ok: boolean }> {
  await buildJob();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-bench-'));
  const store = getLocalRunStore(dir);
  try {
    const one: number[] = [];
    const proc: number[] = [];
    const procTs: number[] = [];
    for (let r = 0; r < REPS + 1; r++) {
      const a = await createRun(store, { params: PARAMS, tenant: 'bench' });
      const t1 = await timed(() => inProcess(store, a.runId, a.executionId));
      const b = await createRun(store, { params: PARAMS, tenant: 'bench' });
      const t2 = await timed(async () => {
        const { code } = await jobProcess(dir, b.runId, b.executionId).exit;
        if (code !== 0) throw new Error(`job exited ${code}`);
      });
      const c = await createRun(store, { params: PARAMS, tenant: 'bench' });
      const t3 = await timed(() => jobProcess(dir, c.runId, c.executionId, {}, JOB_TS).exit);
      if (r > 0) {
        one.push(t1);
        proc.push(t2);
        procTs.push(t3);
      }
    }
    const many: number[] = [];
    const manyProc: number[] = [];
    for (let r = 0; r < 3; r++) {
      const runs = await Promise.all(Array.from({ length: CONCURRENT }, () => createRun(store, { params: PARAMS, tenant: 'bench' })));
      many.push(await timed(() => Promise.all(runs.map((x) => inProcess(store, x.runId, x.executionId)))));
      const runs2 = await Promise.all(Array.from({ length: CONCURRENT }, () => createRun(store, { params: PARAMS, tenant: 'bench' })));
      manyProc.push(await timed(() => Promise.all(runs2.map((x) => jobProcess(dir, x.runId, x.executionId).exit))));
    }

    // Worker mode (LOCAL_JOB_MODE=worker), launch included: the local worker launcher hands each run to its warm job worker.
    const launcher = getLocalWorkerLauncher({
      entrypoint: WORKER, maxRetries: 0, stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '', RUN_STORE: 'local', RUNS_DIR: dir, LLM_PROVIDER: 'offline', OFFLINE_MODEL_LATENCY_MS: String(LATENCY), LOG_LEVEL: 'error' },
    });
    const viaWorker = async (): Promise<void> => {
      const x = await createRun(store, { params: PARAMS, tenant: 'bench' });
      await launcher.launch({ runId: x.runId, executionId: x.executionId });
      const end = await launcher.waitFor(x.executionId);
      if (end.outcome !== 'succeeded') throw new Error(`worker-mode run ended ${end.outcome}`);
    };
    const oneWorker: number[] = [];
    const manyWorker: number[] = [];
    try {
      for (let r = 0; r < REPS + 1; r++) {
        const t = await timed(viaWorker);
        if (r > 0) oneWorker.push(t);
      }
      for (let r = 0; r < 3; r++) manyWorker.push(await timed(() => Promise.all(Array.from({ length: CONCURRENT }, viaWorker))));
    } finally {
      await launcher.close();
    }

    // SIGKILL 700 ms in, restart at once (as the local launcher and Cloud Run's task retry do).
    const crash: { done: number; firstStep: number; rerun: number }[] = [];
    for (let r = 0; r < 5; r++) {
      const x = await createRun(store, { params: PARAMS, tenant: 'bench' });
      const first = jobProcess(dir, x.runId, x.executionId);
      // 700 ms into the run itself (as the peers were measured), not into process start-up.
      while (!(await store.readLog(x.runId)).events.some((e) => isEventOf(e, 'execution.started'))) {
        await new Promise((res) => setTimeout(res, 5));
      }
      await new Promise((res) => setTimeout(res, 700));
      first.child.kill('SIGKILL');
      await first.exit;
      const before = (await store.readLog(x.runId)).events;
      const inFlight = new Set(
        before.filter((e) => isEventOf(e, 'node.attempt.started')).map((e) => (e.data as { node: string }).node),
      );
      for (const e of before) if (isEventOf(e, 'node.attempt.succeeded')) inFlight.delete(e.data.node);
      const restart = performance.now();
      const restartEpoch = Date.now();
      const second = jobProcess(dir, x.runId, x.executionId, { CLOUD_RUN_TASK_ATTEMPT: '1' });
      await second.exit;
      const done = performance.now() - restart;
      const after = (await store.readLog(x.runId)).events.slice(before.length);
      const started = after.filter((e) => isEventOf(e, 'node.attempt.started'));
      const rerun = started.filter((e) => inFlight.has((e.data as { node: string }).node)).length;
      const firstAt = started[0] ? Date.parse(started[0].at) : NaN;
      crash.push({ done, firstStep: firstAt - restartEpoch, rerun });
      if (project((await store.readLog(x.runId)).events).status !== 'succeeded') throw new Error('crashed run did not finish');
    }

    const ratio = (xs: number[]) => xs.map((x) => x / CRITICAL);
    const oneR = median(ratio(one));
    const startup = median(proc) - median(one);
    const manyR = median(ratio(many));
    const crashDone = median(crash.map((c) => c.done));
    const ok = oneR <= 1.03 && startup <= 300 && manyR <= 1.1 && crashDone < 1400;
    const rows = [
      ['one run, in the job process (median of ' + REPS + ')', `${fmt(median(one))} ms [${spread(one)}]`, `${fmt(oneR, 3)}×`, '≤ 1.03×', oneR <= 1.03 ? '✅' : '❌'],
      ['one run, job process spawn → exit (compiled, as in the image)', `${fmt(median(proc))} ms [${spread(proc)}]`, `${fmt(median(ratio(proc)), 3)}× (start-up ${fmt(startup)} ms)`, 'start-up ≤ 300 ms', startup <= 300 ? '✅' : '❌'],
      ['one run, job process spawn → exit (.ts by type stripping, dev)', `${fmt(median(procTs))} ms [${spread(procTs)}]`, `${fmt(median(ratio(procTs)), 3)}× (start-up ${fmt(median(procTs) - median(one))} ms)`, 'for information', ''],
      [`${CONCURRENT} runs at once, one process (3 reps)`, `${fmt(median(many))} ms [${spread(many)}]`, `${fmt(manyR, 3)}× [${spread(ratio(many))}]`, '≤ 1.10×', manyR <= 1.1 ? '✅' : '❌'],
      ['one run, worker mode (`LOCAL_JOB_MODE=worker`), create → launch → ended', `${fmt(median(oneWorker))} ms [${spread(oneWorker)}]`, `${fmt(median(ratio(oneWorker)), 3)}×`, 'for information', ''],
      [`${CONCURRENT} runs at once, worker mode, launch included (3 reps)`, `${fmt(median(manyWorker))} ms [${spread(manyWorker)}]`, `${fmt(median(ratio(manyWorker)), 3)}× [${spread(ratio(manyWorker))}]`, 'for information', ''],
      [`${CONCURRENT} job processes at once (3 reps)`, `${fmt(median(manyProc))} ms [${spread(manyProc)}]`, `${fmt(median(ratio(manyProc)), 3)}× [${spread(ratio(manyProc))}]`, 'for information', ''],
      ['SIGKILL at 700 ms → restart → run done (5 reps)', `${fmt(crashDone)} ms [${spread(crash.map((c) => c.done))}]`, '', '< 1,400 ms (Restate 1.38–1.50 s)', crashDone < 1400 ? '✅' : '❌'],
      ['restart → first re-run step starts', `${fmt(median(crash.map((c) => c.firstStep)))} ms`, '', 'Restate 0.55–0.67 s', ''],
      ['attempts re-run after the crash', `${crash.map((c) => c.rerun).join(', ')}`, '', 'only those in flight (Restate: 4)', ''],
    ];
    const markdown = [
      `### Overhead: whole pipeline vs its critical path (${LATENCY} ms per model step, critical path ${fmt(CRITICAL)} ms)`,
      `${machine()}; local store (fsync on), offline model with fixed latency.`,
      '',
      table(['measure', 'wall', 'ratio', 'target', ''], rows),
    ].join('\n');
    return { markdown, ok };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { markdown } = await benchOverhead();
  process.stdout.write(markdown + '\n');
}
