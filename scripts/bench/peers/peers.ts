/**
 * Restate and DBOS on the same three measures, each with a long-lived worker
 * process (the thing the crash test SIGKILLs) and the engine's durable part
 * (restate-server; PostgreSQL) running beside it.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { NODES } from './dag.ts';
import { freePort, killAndWait, PEERS_DIR, sleep, start, startPostgres, startRestate, withTimeout, type Proc } from './infra.ts';
import type { CrashSample, EngineResult, Plan } from './types.ts';

interface Driver {
  startWorker(): Proc;
  /** Resolves when the run is done (its result durable and returned). */
  submit(runId: string): Promise<void>;
  /** After a restart: resolves when the run the killed worker had is done. */
  awaitRecovered(runId: string, original: Promise<void>, worker: Proc): Promise<void>;
}

interface TraceLine { at: number; pid: number; runId: string; node: string; what: 'start' | 'end' }

function readTrace(file: string, runId: string): TraceLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [at, pid, id, node, what] = l.split(' ');
    return { at: Number(at), pid: Number(pid), runId: id ?? '', node: node ?? '', what: what as 'start' | 'end' };
  }).filter((l) => l.runId === runId);
}

const timed = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

const RUN_TIMEOUT = 60_000;

async function measure(name: string, plan: Plan, trace: string, driver: Driver, say: (s: string) => void): Promise<EngineResult> {
  let worker = driver.startWorker();
  await withTimeout(worker.ready, 60_000, `${name} worker start`);
  try {
    const one: number[] = [];
    say(`${name}: one run × ${plan.oneReps} (+1 warm-up)…`);
    for (let r = 0; r < plan.oneReps + 1; r++) {
      const t = await timed(() => withTimeout(driver.submit(`one-${randomUUID()}`), RUN_TIMEOUT, `${name} run`));
      if (r > 0) one.push(t);
    }
    const many: number[] = [];
    say(`${name}: ${plan.concurrent} runs at once × ${plan.manyReps}…`);
    for (let r = 0; r < plan.manyReps; r++) {
      many.push(await timed(() => withTimeout(Promise.all(Array.from({ length: plan.concurrent }, () => driver.submit(`many-${randomUUID()}`))), RUN_TIMEOUT * 2, `${name} runs`)));
    }
    say(`${name}: SIGKILL the worker ${plan.killAtMs} ms into a run, restart at once × ${plan.crashReps}…`);
    const crash: CrashSample[] = [];
    for (let r = 0; r < plan.crashReps; r++) {
      const runId = `crash-${randomUUID()}`;
      const original = driver.submit(runId);
      original.catch(() => undefined); // DBOS: the killed worker's HTTP answer never comes
      // 700 ms into the run itself: from its first step's start, as ScenarioForge's from execution.started.
      await withTimeout((async () => {
        while (!readTrace(trace, runId).some((l) => l.node === 'charter')) await sleep(5);
      })(), 30_000, `${name} first step`);
      await sleep(plan.killAtMs);
      const oldPid = worker.child.pid;
      await killAndWait(worker, 'SIGKILL');
      const before = readTrace(trace, runId).filter((l) => l.pid === oldPid);
      const restart = performance.now();
      const restartEpoch = Date.now();
      worker = driver.startWorker();
      const w = worker;
      await withTimeout(Promise.all([w.ready, driver.awaitRecovered(runId, original, w)]), RUN_TIMEOUT, `${name} recovered run`);
      const done = performance.now() - restart;
      await sleep(50); // let the trace settle (nothing should run after the result)
      const after = readTrace(trace, runId).filter((l) => l.pid === w.child.pid && l.what === 'start');
      const startedBefore = new Set(before.filter((l) => l.what === 'start').map((l) => l.node));
      const endedBefore = new Set(before.filter((l) => l.what === 'end').map((l) => l.node));
      const executedNodes = new Set([...startedBefore, ...after.map((l) => l.node)]);
      if (executedNodes.size !== NODES.length) throw new Error(`${name}: the crashed run executed ${executedNodes.size} of ${NODES.length} nodes`);
      crash.push({
        done,
        firstStep: after.length ? Math.min(...after.map((l) => l.at)) - restartEpoch : NaN,
        rerun: after.filter((l) => startedBefore.has(l.node)).length,
        inFlightAtKill: [...startedBefore].filter((n) => !endedBefore.has(n)).length,
        executions: startedBefore.size + after.length,
      });
    }
    return { name, one, many, crash };
  } finally {
    await killAndWait(worker, 'SIGTERM');
  }
}

const nodeEnv = (extra: Record<string, string>) => ({ PATH: process.env.PATH ?? '', DO_NOT_TRACK: '1', ...extra });

export async function measureRestate(plan: Plan, say: (s: string) => void): Promise<EngineResult & { serverVersion: string }> {
  say('Restate: starting restate-server in a temp dir…');
  const server = await startRestate();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'sfbench-restate-trace-'));
  try {
    const trace = path.join(tmp, 'trace');
    const port = await freePort();
    const driver: Driver = {
      startWorker: () => start(process.execPath, [path.join(PEERS_DIR, 'restate-worker.ts')], { env: nodeEnv({ PORT: String(port), TRACE: trace }), readyLine: 'ready' }),
      async submit(runId) {
        const res = await fetch(`${server.ingress}/Dag/${runId}/run`, { method: 'POST' });
        const body = await res.text();
        if (!res.ok || body.trim() !== String(NODES.length)) throw new Error(`Restate answered ${res.status}: ${body.slice(0, 500)}`);
      },
      // The caller's request stays open through the crash: the server retries the invocation on the new worker.
      awaitRecovered: (_runId, original) => original,
    };
    // Register the deployment once (the worker restarted on the same port is the same deployment).
    const first = driver.startWorker();
    await withTimeout(first.ready, 30_000, 'Restate worker start');
    const reg = await fetch(`${server.admin}/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uri: `http://127.0.0.1:${port}` }) });
    if (!reg.ok) throw new Error(`Restate deployment registration answered ${reg.status}: ${await reg.text()}`);
    await killAndWait(first, 'SIGTERM');
    const result = await measure('Restate', plan, trace, driver, say);
    return { ...result, serverVersion: server.version };
  } finally {
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

export async function measureDbos(plan: Plan, pgBin: string, say: (s: string) => void): Promise<EngineResult & { pgVersion: string; pgSettings: string }> {
  say('DBOS: starting PostgreSQL in a temp dir…');
  const pg = await startPostgres(pgBin);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'sfbench-dbos-trace-'));
  try {
    const trace = path.join(tmp, 'trace');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const call = async (url: string, method: string) => {
      const res = await fetch(url, { method });
      const body = await res.text();
      if (!res.ok || body.trim() !== JSON.stringify({ steps: NODES.length })) throw new Error(`DBOS worker answered ${res.status}: ${body.slice(0, 500)}`);
    };
    const driver: Driver = {
      startWorker: () => start(process.execPath, [path.join(PEERS_DIR, 'dbos-worker.ts')], { env: nodeEnv({ PORT: String(port), TRACE: trace, DBOS_SYSTEM_DATABASE_URL: pg.url }), readyLine: 'ready' }),
      submit: (runId) => call(`${base}/run/${runId}`, 'POST'),
      // DBOS.launch() in the new worker recovers the workflow; ask it when that is done.
      awaitRecovered: async (runId, _original, worker) => {
        await worker.ready;
        await call(`${base}/await/${runId}`, 'GET');
      },
    };
    const result = await measure('DBOS', plan, trace, driver, say);
    const settings = await pg.settings();
    return { ...result, pgVersion: pg.version, pgSettings: settings };
  } finally {
    await pg.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
