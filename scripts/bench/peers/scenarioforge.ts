/**
 * ScenarioForge on the peers' three measures, through the real job: the run is
 * created in the local store (fsync on) as the orchestrator does, then the
 * compiled job (`dist/job-runner/main.js`, built by `tsc -p tsconfig.build.json`
 * as scripts/bench/overhead.ts does) runs it with the offline model at a fixed
 * 200 ms per model step. The same runner in this process (a long-lived worker,
 * like the peers') is measured too, to show what per-run process start-up costs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { NODES } from '../../../job-runner/nodes/index.ts';
import { defaultRunnerOptions, runExecution } from '../../../job-runner/runner.ts';
import { decide } from '../../../shared/domain/decide.ts';
import { isEventOf, type StoredEvent } from '../../../shared/domain/events.ts';
import { criticalPath } from '../../../shared/domain/pipeline.ts';
import { initialState, project } from '../../../shared/domain/run-state.ts';
import { SCENARIOFORGE_PIPELINE } from '../../../shared/domain/scenarioforge-pipeline.ts';
import { getNoopPublisher } from '../../../shared/events-bus/event-publisher.ts';
import { getOfflineModel } from '../../../shared/llm/offline-model.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { getLocalRunStore } from '../../../shared/store/local-run-store.ts';
import type { RunStore } from '../../../shared/store/run-store.ts';
import { STEP_MS } from './dag.ts';
import { sleep, withTimeout } from './infra.ts';
import type { CrashSample, EngineResult, Plan } from './types.ts';
import { createRun } from '../../../test/support/runs.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const JOB = path.join(ROOT, 'dist/job-runner/main.js');
const MODEL_NODES = new Set(Object.values(NODES).filter((n) => n.kind === 'model').map((n) => n.id));
export const SF_CRITICAL_MS = criticalPath(SCENARIOFORGE_PIPELINE.nodes, (id) => (MODEL_NODES.has(id) ? STEP_MS : 0));
const PARAMS = { company: 'Acme Grid', focalQuestion: 'How will European grid operators fund the 2035 transition?', horizonYear: 2035 };

function jobProcess(dir: string, runId: string, executionId: string, extra: Record<string, string> = {}) {
  const child = spawn(process.execPath, [JOB], {
    env: { PATH: process.env.PATH ?? '', RUN_STORE: 'local', RUNS_DIR: dir, LLM_PROVIDER: 'offline', OFFLINE_MODEL_LATENCY_MS: String(STEP_MS), LOG_LEVEL: 'error', RUN_ID: runId, EXECUTION_ID: executionId, ...extra },
    stdio: 'ignore',
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit };
}

async function jobToEnd(dir: string, runId: string, executionId: string): Promise<void> {
  const code = await withTimeout(jobProcess(dir, runId, executionId).exit, 60_000, 'ScenarioForge job');
  if (code !== 0) throw new Error(`job exited ${code}`);
}

async function inProcess(store: RunStore, runId: string, executionId: string): Promise<void> {
  const result = await runExecution(
    { store, model: getOfflineModel({ latencyMs: STEP_MS }), nodes: NODES, publisher: getNoopPublisher(), logger: silentLogger, newId: uuidv7 },
    { runId, executionId },
    defaultRunnerOptions(store),
    new AbortController().signal,
  );
  if (result.outcome !== 'succeeded') throw new Error(`run ended ${result.outcome}`);
}

async function assertSucceeded(store: RunStore, runId: string): Promise<void> {
  const state = project((await store.readLog(runId)).events);
  if (state.status !== 'succeeded') throw new Error(`run ${runId} ended ${state.status}`);
}

function buildJob(): Promise<void> {
  return new Promise((resolve, reject) => {
    const tsc = spawn(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
    tsc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json exited ${code}`))));
  });
}

/** CPU time (user + system) of this process's reaped children so far, ms: what the job processes burned. */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[13]) + Number(rest[14])) * (1000 / CLK_TCK);
  } catch {
    return NaN;
  }
}
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
  oneInProcess: number[];
  manyInProcess: number[];
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
  /** CPU of one run in the long-lived runner (this process), ms. */
  inProcessCpu: number[];
}

export async function measureScenarioForge(plan: Plan, say: (s: string) => void): Promise<ScenarioForgeResult> {
  say('ScenarioForge: building the job (tsc -p tsconfig.build.json)…');
  await buildJob();
  if (SF_CRITICAL_MS !== plan.criticalMs) throw new Error(`ScenarioForge's critical path is ${SF_CRITICAL_MS} ms, the peers' DAG ${plan.criticalMs} ms: the shapes differ`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sfbench-sf-'));
  const store = getLocalRunStore(dir);
  try {
    const one: number[] = [];
    const oneInProcess: number[] = [];
    const jobFixed: number[] = [];
    const bareNode: number[] = [];
    const jobCpu: number[] = [];
    const jobCpuMany: number[] = [];
    const jobFixedCpu: number[] = [];
    const inProcessCpu: number[] = [];
    say(`ScenarioForge: one run × ${plan.oneReps} (+1 warm-up), job process and in-process…`);
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
      const self0 = process.cpuUsage();
      const t2 = await timed(async () => {
        const x = await createRun(store, { params: PARAMS, tenant: 'bench' });
        runId = x.runId;
        await withTimeout(inProcess(store, x.runId, x.executionId), 60_000, 'in-process run');
      });
      const self = process.cpuUsage(self0);
      await assertSucceeded(store, runId);
      // The fixed cost of a job process: the same job on a run that is already finished.
      const cpu3 = childrenCpuMs();
      const t3 = await timed(() => spawnToExit([JOB], { RUN_STORE: 'local', RUNS_DIR: dir, LLM_PROVIDER: 'offline', LOG_LEVEL: 'error', RUN_ID: finished, EXECUTION_ID: `exec-again-${r}` }));
      const fixedCpu = childrenCpuMs() - cpu3;
      const t4 = await timed(() => spawnToExit(['-e', ''], {}));
      if (r > 0) {
        one.push(t);
        oneInProcess.push(t2);
        jobFixed.push(t3);
        bareNode.push(t4);
        jobCpu.push(cpu);
        jobFixedCpu.push(fixedCpu);
        inProcessCpu.push((self.user + self.system) / 1000);
      }
    }

    const many: number[] = [];
    const manyInProcess: number[] = [];
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
      manyInProcess.push(await timed(async () => {
        const xs = await Promise.all(Array.from({ length: plan.concurrent }, () => createRun(store, { params: PARAMS, tenant: 'bench' })));
        ids = xs.map((x) => x.runId);
        await withTimeout(Promise.all(xs.map((x) => inProcess(store, x.runId, x.executionId))), 120_000, 'in-process runs');
      }));
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
      const code = await withTimeout(second.exit, 60_000, 'restarted job');
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
    return { name: 'ScenarioForge', one, many, crash, oneInProcess, manyInProcess, bareNode, jobFixed, jobCpu, jobCpuMany, jobFixedCpu, inProcessCpu };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
