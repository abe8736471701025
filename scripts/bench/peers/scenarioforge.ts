/**
 * ScenarioForge on the peers' three measures, through the real job: the run is
 * created in the local store (fsync on) as the orchestrator does, then the
 * compiled job (`dist/job-runner/main.js`, built by `tsc -p tsconfig.build.json`
 * as scripts/bench/overhead.ts does) runs it with the offline model at a fixed
 * 200 ms per model step. The product's worker mode (one long-lived job worker,
 * as the peers run) is measured the same way, launch included.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { NODES } from '../../../job-runner/nodes/index.ts';
import { isEventOf } from '../../../shared/domain/events.ts';
import { criticalPath } from '../../../shared/domain/pipeline.ts';
import { project } from '../../../shared/domain/run-state.ts';
import { SCENARIOFORGE_PIPELINE } from '../../../shared/domain/scenarioforge-pipeline.ts';
import { getLocalRunStore } from '../../../shared/store/local-run-store.ts';
import type { RunStore } from '../../../shared/store/run-store.ts';
import { STEP_MS } from './dag.ts';
import { sleep, withTimeout } from './infra.ts';
import type { CrashSample, EngineResult, Plan } from './types.ts';
import { localJobEnv, startJob } from '../../../test/support/job-process.ts';
import { buildJob } from '../overhead.ts';
import { createRun } from '../../../test/support/runs.ts';
import { getLocalWorkerLauncher } from '../../../orchestrator/launchers/local-worker-launcher.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const JOB = path.join(ROOT, 'dist/job-runner/main.js');
const MODEL_NODES = new Set(Object.values(NODES).filter((n) => n.kind === 'model').map((n) => n.id));
export const SF_CRITICAL_MS = criticalPath(SCENARIOFORGE_PIPELINE.nodes, (id) => (MODEL_NODES.has(id) ? STEP_MS : 0));
const PARAMS = { company: 'Acme Grid', focalQuestion: 'How will European grid operators fund the 2035 transition?', horizonYear: 2035 };

/** The compiled job as a process on the bench's store, with the offline model at the peers' fixed step latency. */
const jobProcess = (dir: string, runId: string, executionId: string, extra: Record<string, string> = {}) =>
  startJob(localJobEnv(dir, runId, executionId, { OFFLINE_MODEL_LATENCY_MS: String(STEP_MS), LOG_LEVEL: 'error', ...extra }), JOB);

async function jobToEnd(dir: string, runId: string, executionId: string): Promise<void> {
  const { code } = await withTimeout(jobProcess(dir, runId, executionId).exit, 60_000, 'ScenarioForge job');
  if (code !== 0) throw new Error(`job exited ${code}`);
}

async function assertSucceeded(store: RunStore, runId: string): Promise<void> {
  const state = project((await store.readLog(runId)).events);
  if (state.status !== 'succeeded') throw new Error(`run ${runId} ended ${state.status}`);
}

/**
 * User + system CPU from a /proc/<pid>/stat, ms: the process's own (utime, stime)
 * or that of its reaped children (cutime, cstime). NaN when it cannot be read.
 */
function statCpuMs(file: string, of: 'self' | 'children'): number {
  try {
    const stat = readFileSync(file, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const at = of === 'self' ? 11 : 13;
    return (Number(rest[at]) + Number(rest[at + 1])) * (1000 / CLK_TCK);
  } catch {
    return NaN;
  }
}

/** CPU of this process's reaped children so far, ms: what the job processes burned. */
const childrenCpuMs = (): number => statCpuMs('/proc/self/stat', 'children');

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function spawnToExit(args: string[], env: Record<string, string>): Promise<number | null> {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

const timed = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

export interface ScenarioForgeResult extends EngineResult {
  /** Spawn → exit of a bare `node -e ''`. */
  bareNode: number[];
  /** Spawn → exit of the job on a run that already finished: start-up, config, store, log replay, exit. */
  jobFixed: number[];
  /** CPU (user + system) one job process used for a whole run, ms. */
  jobCpu: number[];
  /** CPU per job process when 20 run at once, ms. */
  jobCpuMany: number[];
  /** CPU of the fixed-cost job process (start-up, replay, exit), ms. */
  jobFixedCpu: number[];
}

export async function measureScenarioForge(plan: Plan, say: (s: string) => void): Promise<ScenarioForgeResult> {
  say('ScenarioForge: building the job (tsc -p tsconfig.build.json)…');
  await buildJob();
  if (SF_CRITICAL_MS !== plan.criticalMs) throw new Error(`ScenarioForge's critical path is ${SF_CRITICAL_MS} ms, the peers' DAG ${plan.criticalMs} ms: the shapes differ`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sfbench-sf-'));
  const store = getLocalRunStore(dir);
  try {
    const one: number[] = [];
    const jobFixed: number[] = [];
    const bareNode: number[] = [];
    const jobCpu: number[] = [];
    const jobCpuMany: number[] = [];
    const jobFixedCpu: number[] = [];
    say(`ScenarioForge: one run × ${plan.oneReps} (+1 warm-up), a job process each…`);
    for (let r = 0; r < plan.oneReps + 1; r++) {
      // Launch included: the durable create (as POST /runs does), then the job process start to exit.
      let runId = '';
      const cpu0 = childrenCpuMs();
      const t = await timed(async () => {
        const x = await createRun(store, { params: PARAMS, tenant: 'bench' });
        runId = x.runId;
        await jobToEnd(dir, x.runId, x.executionId);
      });
      const cpu = childrenCpuMs() - cpu0;
      await assertSucceeded(store, runId);
      const finished = runId;
      // The fixed cost of a job process: the same job on a run that is already finished.
      const cpu3 = childrenCpuMs();
      const t3 = await timed(() => spawnToExit([JOB], { RUN_STORE: 'local', RUNS_DIR: dir, LLM_PROVIDER: 'offline', LOG_LEVEL: 'error', RUN_ID: finished, EXECUTION_ID: `exec-again-${r}` }));
      const fixedCpu = childrenCpuMs() - cpu3;
      const t4 = await timed(() => spawnToExit(['-e', ''], {}));
      if (r > 0) {
        one.push(t);
        jobFixed.push(t3);
        bareNode.push(t4);
        jobCpu.push(cpu);
        jobFixedCpu.push(fixedCpu);
      }
    }

    const many: number[] = [];
    say(`ScenarioForge: ${plan.concurrent} runs at once × ${plan.manyReps}…`);
    for (let r = 0; r < plan.manyReps; r++) {
      let ids: string[] = [];
      const cpu0 = childrenCpuMs();
      many.push(await timed(async () => {
        const xs = await Promise.all(Array.from({ length: plan.concurrent }, () => createRun(store, { params: PARAMS, tenant: 'bench' })));
        ids = xs.map((x) => x.runId);
        await Promise.all(xs.map((x) => jobToEnd(dir, x.runId, x.executionId)));
      }));
      jobCpuMany.push((childrenCpuMs() - cpu0) / plan.concurrent);
      for (const id of ids) await assertSucceeded(store, id);
    }

    say(`ScenarioForge: SIGKILL ${plan.killAtMs} ms into a run, restart at once × ${plan.crashReps}…`);
    const crash: CrashSample[] = [];
    for (let r = 0; r < plan.crashReps; r++) {
      const x = await createRun(store, { params: PARAMS, tenant: 'bench' });
      const first = jobProcess(dir, x.runId, x.executionId);
      // 700 ms into the run itself (its execution.started is durable), not into process start-up.
      await withTimeout((async () => {
        while (!(await store.readLog(x.runId)).events.some((e) => isEventOf(e, 'execution.started'))) await sleep(5);
      })(), 30_000, 'execution.started');
      await sleep(plan.killAtMs);
      first.child.kill('SIGKILL');
      await first.exit;
      const before = (await store.readLog(x.runId)).events;
      const startedBefore = new Set(before.filter((e) => isEventOf(e, 'node.attempt.started')).map((e) => (e.data as { node: string }).node));
      const succeededBefore = new Set(before.filter((e) => isEventOf(e, 'node.attempt.succeeded')).map((e) => (e.data as { node: string }).node));
      const restart = performance.now();
      const restartEpoch = Date.now();
      // As the local launcher and Cloud Run's task retry do: the same execution, the next task attempt.
      const second = jobProcess(dir, x.runId, x.executionId, { CLOUD_RUN_TASK_ATTEMPT: '1' });
      const { code } = await withTimeout(second.exit, 60_000, 'restarted job');
      const done = performance.now() - restart;
      if (code !== 0) throw new Error(`restarted job exited ${code}`);
      await assertSucceeded(store, x.runId);
      const after = (await store.readLog(x.runId)).events.slice(before.length);
      const startedAfter = after.filter((e) => isEventOf(e, 'node.attempt.started')).map((e) => ({ node: (e.data as { node: string }).node, at: Date.parse(e.at) }));
      crash.push({
        done,
        firstStep: startedAfter.length ? Math.min(...startedAfter.map((s) => s.at)) - restartEpoch : NaN,
        rerun: startedAfter.filter((s) => startedBefore.has(s.node)).length,
        inFlightAtKill: [...startedBefore].filter((n) => !succeededBefore.has(n)).length,
        executions: startedBefore.size + startedAfter.length,
      });
    }
    return { name: 'ScenarioForge (job process per run)', one, many, crash, bareNode, jobFixed, jobCpu, jobCpuMany, jobFixedCpu };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const WORKER = path.join(ROOT, 'dist/job-runner/worker.js');

/** CPU of a live process so far, ms. */
const processCpuMs = (pid: number): number => statCpuMs(`/proc/${pid}/stat`, 'self');

export interface ScenarioForgeWorkerResult extends EngineResult {
  /** CPU the worker used per run, one at a time, ms. */
  cpuPerRun: number[];
  /** CPU the worker used per run when `concurrent` run at once, ms. */
  cpuPerRunMany: number[];
}

/**
 * The product's worker mode (LOCAL_JOB_MODE=worker), launch included: the run is
 * created with one durable append, then the local worker launcher hands it to
 * its long-lived job worker (`dist/job-runner/worker.js`), and the run ends when
 * the launcher reports the execution ended. The worker is started ahead of the
 * first run (warm), as the orchestrator starts it. Crash: the worker is
 * SIGKILLed; the launcher starts a fresh one and retries the execution on it.
 */
export async function measureScenarioForgeWorker(plan: Plan, say: (s: string) => void): Promise<ScenarioForgeWorkerResult> {
  say('ScenarioForge (worker mode): building the job (tsc -p tsconfig.build.json)…');
  await buildJob();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sfbench-sfw-'));
  const store = getLocalRunStore(dir);
  const env = { PATH: process.env.PATH ?? '', RUN_STORE: 'local', RUNS_DIR: dir, LLM_PROVIDER: 'offline', OFFLINE_MODEL_LATENCY_MS: String(STEP_MS), LOG_LEVEL: 'error' };
  const launcher = getLocalWorkerLauncher({ entrypoint: WORKER, env, maxRetries: 3, stdio: 'ignore', killGraceMs: 2_000 });
  const runToEnd = async () => {
    const x = await createRun(store, { params: PARAMS, tenant: 'bench' });
    await launcher.launch({ runId: x.runId, executionId: x.executionId });
    const end = await withTimeout(launcher.waitFor(x.executionId), 60_000, 'worker-mode run');
    if (end.outcome !== 'succeeded') throw new Error(`execution ended ${end.outcome}`);
    return x;
  };
  const workerPid = async (): Promise<number> => {
    // A run in flight names the worker's pid.
    const x = await createRun(store, { params: PARAMS, tenant: 'bench' });
    await launcher.launch({ runId: x.runId, executionId: x.executionId });
    const pid = launcher.running()[0]?.pid ?? 0;
    await launcher.waitFor(x.executionId);
    return pid;
  };
  try {
    const one: number[] = [];
    const cpuPerRun: number[] = [];
    say(`ScenarioForge (worker mode): one run × ${plan.oneReps} (+1 warm-up)…`);
    let pid = await workerPid();
    for (let r = 0; r < plan.oneReps + 1; r++) {
      let runId = '';
      const cpu0 = processCpuMs(pid);
      const t = await timed(async () => { runId = (await runToEnd()).runId; });
      const cpu = processCpuMs(pid) - cpu0;
      await assertSucceeded(store, runId);
      if (r > 0) {
        one.push(t);
        cpuPerRun.push(cpu);
      }
    }
    const many: number[] = [];
    const cpuPerRunMany: number[] = [];
    say(`ScenarioForge (worker mode): ${plan.concurrent} runs at once × ${plan.manyReps}…`);
    for (let r = 0; r < plan.manyReps; r++) {
      let ids: string[] = [];
      const cpu0 = processCpuMs(pid);
      many.push(await timed(async () => {
        ids = (await Promise.all(Array.from({ length: plan.concurrent }, runToEnd))).map((x) => x.runId);
      }));
      cpuPerRunMany.push((processCpuMs(pid) - cpu0) / plan.concurrent);
      for (const id of ids) await assertSucceeded(store, id);
    }

    say(`ScenarioForge (worker mode): SIGKILL of the worker ${plan.killAtMs} ms into a run × ${plan.crashReps}…`);
    const crash: CrashSample[] = [];
    for (let r = 0; r < plan.crashReps; r++) {
      const x = await createRun(store, { params: PARAMS, tenant: 'bench' });
      await launcher.launch({ runId: x.runId, executionId: x.executionId });
      await withTimeout((async () => {
        while (!(await store.readLog(x.runId)).events.some((e) => isEventOf(e, 'execution.started'))) await sleep(5);
      })(), 30_000, 'execution.started');
      await sleep(plan.killAtMs);
      const victim = launcher.running().find((t) => t.runId === x.runId);
      if (!victim) throw new Error('the run is not in the worker');
      // The clock starts at the kill: detecting the death and starting a fresh worker are ours to pay.
      const restart = performance.now();
      const restartEpoch = Date.now();
      process.kill(victim.pid, 'SIGKILL');
      await waitExit(victim.pid);
      const end = await withTimeout(launcher.waitFor(x.executionId), 60_000, 'resumed run');
      const done = performance.now() - restart;
      if (end.outcome !== 'succeeded') throw new Error(`resumed execution ended ${end.outcome}`);
      await assertSucceeded(store, x.runId);
      const all = (await store.readLog(x.runId)).events;
      // The dead worker's life is everything before the second `execution.started` (the retry's, task attempt 1).
      const firstNew = all.findIndex((e, i) => isEventOf(e, 'execution.started') && all.slice(0, i).some((b) => isEventOf(b, 'execution.started')));
      if (firstNew < 0) throw new Error('no second execution.started after the kill');
      const dead = all.slice(0, firstNew);
      const after = all.slice(firstNew);
      const startedBefore = new Set(dead.filter((e) => isEventOf(e, 'node.attempt.started')).map((e) => (e.data as { node: string }).node));
      const succeededBefore = new Set(dead.filter((e) => isEventOf(e, 'node.attempt.succeeded')).map((e) => (e.data as { node: string }).node));
      const startedAfter = after.filter((e) => isEventOf(e, 'node.attempt.started')).map((e) => ({ node: (e.data as { node: string }).node, at: Date.parse(e.at) }));
      crash.push({
        done,
        firstStep: startedAfter.length ? Math.min(...startedAfter.map((s) => s.at)) - restartEpoch : NaN,
        rerun: startedAfter.filter((s) => startedBefore.has(s.node)).length,
        inFlightAtKill: [...startedBefore].filter((n) => !succeededBefore.has(n)).length,
        executions: startedBefore.size + startedAfter.length,
      });
      pid = launcher.running()[0]?.pid ?? pid;
    }
    return { name: 'ScenarioForge (worker mode)', one, many, crash, cpuPerRun, cpuPerRunMany };
  } finally {
    await launcher.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function waitExit(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(2);
  }
}
