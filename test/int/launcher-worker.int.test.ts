/**
 * LOCAL_JOB_MODE=worker: one long-lived job worker runs every execution the
 * orchestrator launches, with the process mode's supervision per execution.
 * Real parts only: createApp over HTTP, the local store, the real worker
 * (job-runner/worker.ts) with the offline model.
 */
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { isEventOf } from '../../shared/domain/events.ts';
import { openAttempts, project } from '../../shared/domain/run-state.ts';
import { loadConfig } from '../../shared/config.ts';
import { silentLogger } from '../../shared/logger.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { jobEnvFor } from '../../orchestrator/job-env.ts';
import { jobWorkerEntrypoint, launchersFromConfig, type Launchers } from '../../orchestrator/launcher-from-config.ts';
import { platformExecutionOf } from '../../orchestrator/launchers/job-launcher.ts';
import type { LocalLauncher } from '../../orchestrator/launchers/local-launcher.ts';
import { getLocalWorkerLauncher } from '../../orchestrator/launchers/local-worker-launcher.ts';
import { checkLog } from '../support/log-checks.ts';
import { API_KEYS, build, call, KEYS, listen, PARAMS, waitUntil, type Running } from '../support/orchestrator.ts';
import { createRun } from '../support/runs.ts';
import { tempDir } from '../support/temp-dir.ts';
import { isAlive } from '../support/processes.ts';

const TOTAL_NODES = 12;

function envFor(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    RUN_STORE: 'local', RUNS_DIR: dir, API_KEYS, LOG_LEVEL: 'silent', NODE_RETRY_BASE_MS: '10', LOCAL_JOB_MODE: 'worker',
    PATH: process.env['PATH'] ?? '', ...extra,
  };
}

const statusOf = async (store: RunStore, runId: string) => project((await store.readLog(runId)).events).status;
/** The run's status once run.json has caught up with the log (the job writes it just after its last commit). */
const settledStatusOf = async (store: RunStore, runId: string) => {
  const state = project((await store.readLog(runId)).events);
  const stored = JSON.parse((await store.readProjection(runId))?.toString('utf8') ?? '{}') as { lastSeq?: number };
  return stored.lastSeq === state.lastSeq ? state.status : 'settling';
};

describe('local launcher, worker mode (one long-lived job worker)', function () {
  this.timeout(60_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: RunStore;
  let server: Running | null = null;
  let launchers: Launchers | null = null;
  let direct: LocalLauncher | null = null;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('sf-worker-'));
    store = getLocalRunStore(dir);
  });
  afterEach(async () => {
    await server?.close();
    await launchers?.close();
    await direct?.close();
    server = null;
    launchers = null;
    direct = null;
    await cleanup();
  });

  /** The orchestrator as main.ts composes it; its close() detaches, and the idle worker then exits. */
  const start = async (extra: Record<string, string> = {}) => {
    const env = envFor(dir, extra);
    const config = loadConfig(env);
    launchers = launchersFromConfig(config, env, silentLogger);
    server = await listen({ config, store, launcher: launchers.launcher });
    return { server, launcher: launchers.launcher as LocalLauncher };
  };

  it('six builds at once run in one worker process; every run succeeds with a contiguous log and run.json = fold', async () => {
    const { server, launcher } = await start({ OFFLINE_MODEL_LATENCY_MS: '40' });
    expect((await call(server.url, 'GET', '/health')).body).to.include({ job_backend: 'local', local_job_mode: 'worker' });

    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      build(server.url, KEYS.acme, { params: { ...PARAMS, company: `Worker Co ${i}` } })));
    for (const r of replies) expect(r.status, r.text).to.equal(202);
    const runIds = replies.map((r) => r.body.runId);

    const pids = new Set<number>();
    await waitUntil(async () => {
      for (const t of launcher.running()) pids.add(t.pid);
      const statuses = await Promise.all(runIds.map((id) => statusOf(store, id)));
      return statuses.every((s) => s === 'succeeded');
    }, 'every run to succeed', 45_000, 20);
    expect(pids.size, 'one worker ran them all').to.equal(1);
    const [pid] = pids;
    expect(isAlive(pid ?? 0), 'the worker stays up for the next run').to.equal(true);

    for (const runId of runIds) {
      const end = await launcher.waitFor((await call<{ executions: { id: string }[] }>(server.url, 'GET', `/runs/${runId}/run.json`)).body.executions[0]?.id ?? '');
      expect(end).to.include({ outcome: 'succeeded', attempts: 1, code: 0 });
      const events = await checkLog(store, runId);
      const state = project(events);
      expect(state.progress).to.deep.equal({ done: TOTAL_NODES, total: TOTAL_NODES });
      expect(state.executions[0]).to.include({ taskAttempts: 1, outcome: 'succeeded' });
      expect(state.executions[0]?.launchedAs).to.match(/^worker:\d+:/);
    }
  });

  it('kill -9 of the worker mid-run: a fresh worker resumes every run it held; one success per node, the interrupted attempts abandoned', async () => {
    const { server, launcher } = await start({ OFFLINE_MODEL_LATENCY_MS: '150' });
    const replies = await Promise.all(Array.from({ length: 3 }, (_, i) =>
      build(server.url, KEYS.acme, { params: { ...PARAMS, company: `Crash Co ${i}` } })));
    const runIds = replies.map((r) => r.body.runId as string);

    const victim = await waitUntil(async () => {
      const tasks = launcher.running();
      const states = await Promise.all(runIds.map(async (id) => project((await store.readLog(id)).events)));
      const midway = tasks.length === 3 && states.every((s) => s.progress.done >= 2 && openAttempts(s).length > 0);
      return midway ? { pid: tasks[0]?.pid ?? 0, open: states.map((s) => openAttempts(s)) } : null;
    }, 'three runs mid-way in the worker', 30_000, 20);
    process.kill(victim.pid, 'SIGKILL');

    for (const runId of runIds) {
      const executionId = project((await store.readLog(runId)).events).executions[0]?.id ?? '';
      const end = await launcher.waitFor(executionId);
      expect(end).to.include({ outcome: 'succeeded', attempts: 2 });
    }
    const after = launcher.running();
    expect(after, 'nothing left running').to.deep.equal([]);
    for (const [i, runId] of runIds.entries()) {
      const events = await checkLog(store, runId);
      const state = project(events);
      expect(state.status).to.equal('succeeded');
      const successes = events.filter((e) => isEventOf(e, 'node.attempt.succeeded')).map((e) => (isEventOf(e, 'node.attempt.succeeded') ? e.data.node : ''));
      expect(successes).to.have.length(TOTAL_NODES);
      expect(new Set(successes).size).to.equal(TOTAL_NODES);
      const abandoned = events.filter((e) => isEventOf(e, 'node.attempt.abandoned')).map((e) => (isEventOf(e, 'node.attempt.abandoned') ? `${e.data.node}#${e.data.attempt}` : ''));
      for (const o of victim.open[i] ?? []) expect(abandoned).to.include(`${o.node}#${o.attempt}`);
      expect(state.executions[0]).to.include({ taskAttempts: 2, outcome: 'succeeded' });
    }
    expect(isAlive(victim.pid)).to.equal(false);
  });

  it('a launch with its own env (a request\'s Gemini key) gets a job process of its own, never the shared worker', async () => {
    const { launcher } = await start({ OFFLINE_MODEL_LATENCY_MS: '60' });
    const launchWithEnv = launchers?.launchWithEnv;
    expect(launchWithEnv, 'worker mode still offers keyed launches').to.be.a('function');
    const shared = await createRun(store);
    await launcher.launch({ runId: shared.runId, executionId: shared.executionId });
    const workerPid = await waitUntil(() => launcher.running()[0]?.pid, 'the worker to hold a run', 10_000, 10);
    const keyed = await createRun(store);
    const started = await launchWithEnv?.({ runId: keyed.runId, executionId: keyed.executionId }, { GEMINI_API_KEY: 'AIzaSy-only-for-this-run' });
    expect(started?.name).to.match(/^local\/executions\/local-[a-z0-9]{5}$/);
    expect(launcher.running().map((t) => t.runId), 'not in the worker').not.to.include(keyed.runId);
    await waitUntil(async () => (await settledStatusOf(store, keyed.runId)) === 'succeeded' && (await settledStatusOf(store, shared.runId)) === 'succeeded', 'both runs to succeed', 30_000, 50);
    // The job process it ran in is the one that launch named, and the key went nowhere near the log.
    const events = await checkLog(store, keyed.runId);
    expect(project(events).executions[0]?.cloudRunExecution).to.equal(started?.name.split('/').at(-1));
    expect(JSON.stringify(events)).not.to.include('AIzaSy-only-for-this-run');
    expect(isAlive(workerPid), 'the worker is still up').to.equal(true);
  });

  it('a run whose attempts time out fails on its own, while two other runs in the same worker finish unaffected', async () => {
    const env = envFor(dir, { OFFLINE_MODEL_LATENCY_MS: '300' });
    direct = getLocalWorkerLauncher({ entrypoint: jobWorkerEntrypoint(), env: jobEnvFor(loadConfig(env), env), maxRetries: 0, stdio: 'ignore', killGraceMs: 5_000 });
    // Every charter call takes 300 ms; this run allows it 150 ms, twice.
    const slow = await createRun(store, { timeoutMs: { charter: 150 }, maxAttempts: 2 });
    const others = [await createRun(store), await createRun(store)];
    const pids = new Set<number>();
    for (const r of [slow, ...others]) await direct.launch({ runId: r.runId, executionId: r.executionId });
    const ends = Promise.all([slow, ...others].map((r) => direct?.waitFor(r.executionId)));
    await waitUntil(async () => {
      for (const t of direct?.running() ?? []) pids.add(t.pid);
      return (await Promise.all([slow, ...others].map((r) => statusOf(store, r.runId)))).every((s) => s === 'succeeded' || s === 'failed');
    }, 'every run to end', 45_000, 20);
    const [slowEnd, ...otherEnds] = await ends;
    expect(pids.size, 'one worker ran all three').to.equal(1);
    // The task ends 0 (a recorded failure is a terminal state), so the platform calls it succeeded.
    expect(slowEnd).to.include({ outcome: 'succeeded', code: 0 });
    expect(project((await store.readLog(slow.runId)).events).status).to.equal('failed');
    const slowEvents = await checkLog(store, slow.runId);
    const slowState = project(slowEvents);
    expect(slowState.failure).to.include({ node: 'charter', code: 'node_failed' });
    const charterFailures = slowEvents.filter((e) => isEventOf(e, 'node.attempt.failed') && e.data.node === 'charter');
    expect(charterFailures.map((e) => (e.data as { error: { code: string } }).error.code)).to.deep.equal(['timeout', 'timeout']);
    for (const [i, r] of others.entries()) {
      expect(otherEnds[i]).to.include({ outcome: 'succeeded', code: 0 });
      const events = await checkLog(store, r.runId);
      expect(project(events).progress).to.deep.equal({ done: TOTAL_NODES, total: TOTAL_NODES });
      expect(events.some((e) => isEventOf(e, 'node.attempt.failed')), 'no attempt of the other runs failed').to.equal(false);
    }
  });

  it('a worker that cannot start (bad config) uses up the retry budget: the execution fails, launch still answers', async () => {
    const { runId, executionId } = await createRun(store);
    direct = getLocalWorkerLauncher({
      entrypoint: jobWorkerEntrypoint(), env: { ...envFor(dir), RUN_STORE: 's3' }, maxRetries: 2, stdio: 'ignore', killGraceMs: 1_000,
    });
    const launched = await direct.launch({ runId, executionId });
    expect(launched.name).to.match(/^local\/executions\/local-[a-z0-9]{5}$/);
    const end = await direct.waitFor(executionId);
    expect(end).to.include({ outcome: 'failed', attempts: 3, code: 2 });
    expect(await statusOf(store, runId), 'nothing was written').to.equal('queued');
  });

  it('close (terminate): SIGTERM reaches the worker, its executions stop cleanly and a later worker resumes the run', async () => {
    const { runId, executionId } = await createRun(store);
    const env = envFor(dir, { OFFLINE_MODEL_LATENCY_MS: '200' });
    const first = getLocalWorkerLauncher({ entrypoint: jobWorkerEntrypoint(), env: jobEnvFor(loadConfig(env), env), maxRetries: 1, stdio: 'ignore', killGraceMs: 5_000 });
    await first.launch({ runId, executionId });
    await waitUntil(async () => project((await store.readLog(runId)).events).progress.done >= 1, 'a node done', 20_000, 20);
    const [task] = first.running();
    const closing = Date.now();
    await first.close();
    expect(Date.now() - closing, 'well inside the 10 s Cloud Run grants').to.be.lessThan(8_000);
    expect((await first.waitFor(executionId)).outcome).to.equal('stopped');
    expect(isAlive(task?.pid ?? 0)).to.equal(false);
    const interrupted = project((await store.readLog(runId)).events);
    expect(interrupted.status).to.equal('running');
    expect(openAttempts(interrupted), 'in-flight attempts were recorded as ended, not left open').to.deep.equal([]);

    direct = getLocalWorkerLauncher({ entrypoint: jobWorkerEntrypoint(), env: jobEnvFor(loadConfig(env), env), maxRetries: 1, stdio: 'ignore', killGraceMs: 5_000 });
    await direct.launch({ runId, executionId: `${executionId}-resume` });
    expect((await direct.waitFor(`${executionId}-resume`)).outcome).to.equal('succeeded');
    expect(project(await checkLog(store, runId)).status).to.equal('succeeded');
  });

  it('close (detach), as main.ts does on shutdown: the worker finishes the run it holds, then exits', async () => {
    const { runId, executionId } = await createRun(store);
    const env = envFor(dir, { OFFLINE_MODEL_LATENCY_MS: '60' });
    const launcher = getLocalWorkerLauncher({ entrypoint: jobWorkerEntrypoint(), env: jobEnvFor(loadConfig(env), env), maxRetries: 1, stdio: 'ignore', onClose: 'detach' });
    await launcher.launch({ runId, executionId });
    await waitUntil(async () => project((await store.readLog(runId)).events).progress.done >= 1, 'a node done', 20_000, 20);
    const pid = launcher.running()[0]?.pid ?? 0;
    await launcher.close();
    await waitUntil(async () => (await settledStatusOf(store, runId)) === 'succeeded', 'the detached worker to finish the run', 30_000, 50);
    await waitUntil(() => !isAlive(pid), 'the worker to exit once idle', 10_000, 20);
    await checkLog(store, runId);
  });

  it('observe, JOB_MAX_RETRIES=0: running while the worker runs it; the worker SIGKILLed mid-run → ended failed, saying so', async () => {
    const { runId, executionId } = await createRun(store);
    const env = envFor(dir, { OFFLINE_MODEL_LATENCY_MS: '300' });
    direct = getLocalWorkerLauncher({ entrypoint: jobWorkerEntrypoint(), env: jobEnvFor(loadConfig(env), env), maxRetries: 0, stdio: 'ignore', killGraceMs: 1_000 });
    const launched = await direct.launch({ runId, executionId });
    const pid = await waitUntil(() => direct?.running()[0]?.pid, 'the worker to hold the run', 10_000, 10);
    expect(launched.platformExecution).to.equal(`worker:${pid}:${executionId}`);
    await waitUntil(async () => project((await store.readLog(runId)).events).progress.done >= 1, 'a node done', 20_000, 20);
    expect(await direct.observe(executionId, platformExecutionOf(launched))).to.deep.equal({ state: 'running' });

    process.kill(pid, 'SIGKILL');
    expect(await direct.waitFor(executionId)).to.include({ outcome: 'failed', attempts: 1 });
    const o = await direct.observe(executionId, platformExecutionOf(launched));
    expect(o).to.deep.include({
      state: 'ended', outcome: 'failed',
      reason: `the job attempt was lost when the job worker (pid ${pid}) was killed by SIGKILL after 1 attempt (JOB_MAX_RETRIES=0)`,
    });
    expect(Number.isNaN(Date.parse(o.state === 'ended' ? o.endedAt ?? '' : '')), 'endedAt is a time').to.equal(false);
    expect(await statusOf(store, runId), 'the log still says running: this is what the reconciler will close').to.equal('running');
  });

  it('observe through the composed launchers: a run in the worker and a keyed run in its own process both end succeeded', async () => {
    const { launcher } = await start({ OFFLINE_MODEL_LATENCY_MS: '20' });
    const shared = await createRun(store);
    const keyed = await createRun(store);
    const a = await launcher.launch({ runId: shared.runId, executionId: shared.executionId });
    const b = await launchers?.launchWithEnv?.({ runId: keyed.runId, executionId: keyed.executionId }, { GEMINI_API_KEY: 'AIzaSy-observe-only' });
    expect(a.platformExecution).to.match(/^worker:\d+:/);
    expect(b?.platformExecution).to.match(/^local:\d+$/);
    await waitUntil(async () => (await statusOf(store, shared.runId)) === 'succeeded' && (await statusOf(store, keyed.runId)) === 'succeeded', 'both runs to succeed', 30_000, 50);
    const inWorker = await waitUntil(async () => {
      const o = await launcher.observe(shared.executionId, platformExecutionOf(a));
      return o.state === 'ended' ? o : null;
    }, 'the worker execution to end', 10_000, 20);
    expect(inWorker.outcome).to.equal('succeeded');
    expect(inWorker.reason).to.match(/^the job attempt exited with code 0 in the job worker \(pid \d+, runner outcome "succeeded"\) after 1 attempt$/);
    const inProcess = await waitUntil(async () => {
      const o = await launcher.observe(keyed.executionId, b ? platformExecutionOf(b) : undefined);
      return o.state === 'ended' ? o : null;
    }, 'the keyed execution to end', 10_000, 20);
    expect(inProcess).to.include({ outcome: 'succeeded', reason: 'the job process exited with code 0 after 1 attempt' });
  });

  it('started by hand without the launcher, the worker exits 2 with one line saying how to run it', async () => {
    const child = spawn(process.execPath, [jobWorkerEntrypoint()], { env: envFor(dir), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).to.equal(2);
    expect(stderr.trim().split('\n')).to.have.length(1);
    expect(stderr).to.match(/LOCAL_JOB_MODE=worker/);
  });
});
