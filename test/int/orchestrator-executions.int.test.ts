/**
 * Whole runs launched by the orchestrator with the real job entrypoint:
 * - local mode: `kill -9` of the job child mid-run → the launcher restarts it,
 *   the run completes, one success per node, the interrupted attempt abandoned;
 * - Cloud Run mode against the Run Admin API stub (spawning the job like Cloud
 *   Run would): `jobs/J:run` with RUN_ID and EXECUTION_ID overrides, and the
 *   execution name in run.json;
 * - SSE: a client connected before the run starts gets every event once, in
 *   seq order, and the stream closes when the run is terminal.
 */
import { expect } from 'chai';
import { isEventOf, parseEventLine, serializeEvent } from '../../shared/domain/events.ts';
import { openAttempts, project, type RunState } from '../../shared/domain/run-state.ts';
import { loadConfig } from '../../shared/config.ts';
import { silentLogger } from '../../shared/logger.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { jobEnvFor } from '../../orchestrator/job-env.ts';
import { jobEntrypoint, launchersFromConfig } from '../../orchestrator/launcher-from-config.ts';
import type { JobLauncher, LaunchRequest } from '../../orchestrator/launchers/job-launcher.ts';
import { getLocalLauncher, type LocalLauncher } from '../../orchestrator/launchers/local-launcher.ts';
import { startRunAdminStub, type RunAdminStub } from '../support/run-admin-stub.ts';
import { API_KEYS, build, call, KEYS, listen, PARAMS, waitUntil, type Running } from '../support/orchestrator.ts';
import { tempDir } from '../support/temp-dir.ts';

function envFor(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    RUN_STORE: 'local', RUNS_DIR: dir, API_KEYS, LOG_LEVEL: 'silent', NODE_RETRY_BASE_MS: '10',
    PATH: process.env['PATH'] ?? '', ...extra,
  };
}

async function runJson(base: string, runId: string): Promise<RunState> {
  return (await call<RunState>(base, 'GET', `/runs/${runId}/run.json`)).body;
}

interface SseFrame { id?: string; event?: string; data?: string }

/** Reads an SSE response to its end, frame by frame; `onFrame` sees each as it arrives. */
async function readSse(res: Response, onFrame: (f: SseFrame, all: SseFrame[]) => void = () => undefined): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no body');
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const frame: SseFrame = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':') || line === '') continue;
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id' || field === 'event') frame[field] = value;
        else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
      }
      if (frame.data !== undefined || frame.event !== undefined) {
        frames.push(frame);
        onFrame(frame, frames);
      }
    }
  }
  return frames;
}

describe('orchestrator: executions with the real job', function () {
  this.timeout(60_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: RunStore;
  let server: Running | null = null;
  let local: LocalLauncher | null = null;
  let stub: RunAdminStub | null = null;
  const closers: JobLauncher[] = [];

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('sf-orch-exec-'));
    store = getLocalRunStore(dir);
  });
  afterEach(async () => {
    await server?.close();
    await local?.close();
    await Promise.all(closers.splice(0).map((l) => l.close()));
    await stub?.stop();
    server = null;
    local = null;
    stub = null;
    await cleanup();
  });

  it('the child env carries the shared config and the OS basics, not the API keys or the port', () => {
    const env = envFor(dir, { PORT: '9999', GEMINI_API_KEY: 'AIzaSy-for-the-job', HOME: '/home/x', RANDOM_SECRET: 'no' });
    const child = jobEnvFor(loadConfig(env), env);
    expect(child).to.include({ RUN_STORE: 'local', RUNS_DIR: dir, LLM_PROVIDER: 'gemini', GEMINI_API_KEY: 'AIzaSy-for-the-job', HOME: '/home/x', SCENARIOOPS_PIPELINE_VERSION: 'v1' });
    expect(child).not.to.have.any.keys('API_KEYS', 'PORT', 'RANDOM_SECRET');
    const offline = jobEnvFor(loadConfig(envFor(dir, { LLM_PROVIDER: 'gemini' })), envFor(dir, { LLM_PROVIDER: 'gemini' }));
    expect(offline['LLM_PROVIDER'], 'gemini without a key runs offline locally').to.equal('offline');
  });

  it('local mode: kill -9 of the job child mid-run → restarted, the run completes, one success per node, the interrupted attempt abandoned', async () => {
    const env = envFor(dir, { OFFLINE_MODEL_LATENCY_MS: '150' });
    const config = loadConfig(env);
    local = getLocalLauncher({ entrypoint: jobEntrypoint(), env: jobEnvFor(config, env), maxRetries: 3, stdio: 'ignore', killGraceMs: 2_000 });
    server = await listen({ config, store, launcher: local });
    const r = await build(server.url, KEYS.acme, { params: PARAMS });
    expect(r.status).to.equal(202);
    const { runId } = r.body;

    // Mid-run: some nodes done, an attempt in flight.
    const victim = await waitUntil(async () => {
      const state = project((await store.readLog(runId)).events);
      const task = local?.running().find((t) => t.runId === runId);
      return task && state.progress.done >= 2 && openAttempts(state).length > 0 ? { task, open: openAttempts(state) } : null;
    }, 'the run to be mid-way', 30_000, 20);
    expect(victim.task.attempt).to.equal(0);
    process.kill(victim.task.pid, 'SIGKILL');

    const end = await local.waitFor(victim.task.executionId);
    expect(end).to.include({ outcome: 'succeeded', attempts: 2 });
    const state = await waitUntil(async () => {
      const s = await runJson(server!.url, runId);
      return s.status === 'succeeded' ? s : null;
    }, 'the run to succeed');
    expect(state.progress).to.deep.equal({ done: 12, total: 12 });

    const events = (await store.readLog(runId)).events;
    const successes = new Map<string, number>();
    for (const e of events) if (isEventOf(e, 'node.attempt.succeeded')) successes.set(e.data.node, (successes.get(e.data.node) ?? 0) + 1);
    expect([...successes.values()].every((n) => n === 1), JSON.stringify([...successes])).to.equal(true);
    expect(successes.size).to.equal(12);
    const abandoned = events.filter((e) => isEventOf(e, 'node.attempt.abandoned')).map((e) => isEventOf(e, 'node.attempt.abandoned') ? `${e.data.node}#${e.data.attempt}` : '');
    // Every attempt in flight at the kill was abandoned (some may have been started after we looked, too).
    for (const o of victim.open) expect(abandoned).to.include(`${o.node}#${o.attempt}`);
    expect(state.executions).to.have.length(1);
    expect(state.executions[0]).to.include({ taskAttempts: 2, outcome: 'succeeded' });
    // What observe() is asked with later: the first attempt's process group (platformExecutionOf).
    expect(state.executions[0]?.launchedAs).to.match(/^local:\d+$/);
  });

  it('Cloud Run mode: POST /build runs jobs/J:run with RUN_ID and EXECUTION_ID overrides; the execution name lands in run.json; the job really runs', async () => {
    const env = envFor(dir, { OFFLINE_MODEL_LATENCY_MS: '5' });
    stub = await startRunAdminStub({
      project: 'P', location: 'L', job: 'J',
      spawn: { entrypoint: jobEntrypoint(), env: jobEnvFor(loadConfig(env), env), maxRetries: 1, stdio: 'ignore', killGraceMs: 2_000 },
    });
    const config = loadConfig({ ...env, JOB_LAUNCHER: 'cloudrun', CLOUD_RUN_JOB: stub.jobName, CLOUD_RUN_API_ENDPOINT: stub.url });
    const launchers = launchersFromConfig(config, env, silentLogger);
    closers.push(launchers.launcher);
    expect(launchers.launcher.backend).to.equal('cloudrun');
    expect(launchers.launchWithEnv).to.equal(undefined);
    server = await listen({ config, store, launcher: launchers.launcher });

    const r = await build(server.url, KEYS.acme, { params: PARAMS });
    expect(r.status).to.equal(202);
    const runs = stub.requests.filter((q) => q.method === 'POST');
    expect(runs).to.have.length(1);
    expect(runs[0]?.path).to.equal('/v2/projects/P/locations/L/jobs/J:run');
    const state = await runJson(server.url, r.body.runId);
    const execution = state.executions[0];
    expect(runs[0]?.body).to.deep.equal({
      overrides: { containerOverrides: [{ env: [{ name: 'RUN_ID', value: r.body.runId }, { name: 'EXECUTION_ID', value: execution?.id }] }], taskCount: 1 },
    });
    expect(stub.executions).to.have.length(1);
    expect(execution?.launchedAs).to.equal(stub.executions[0]?.name);
    expect(execution?.launchedAs).to.match(/^projects\/P\/locations\/L\/jobs\/J\/executions\/J-[a-z0-9]{5}$/);
    expect((await call(server.url, 'GET', '/health')).body).to.include({ job_backend: 'cloudrun' });

    const finished = await stub.waitForExecution(stub.executions[0]?.name ?? '');
    expect(finished.status).to.equal('succeeded');
    const done = await runJson(server.url, r.body.runId);
    expect(done.status).to.equal('succeeded');
    expect(done.executions[0]).to.include({ cloudRunExecution: stub.executions[0]?.shortName, outcome: 'succeeded' });
  });

  it('SSE: a client connected before the run starts gets every event once, in seq order, and the stream ends when the run is terminal', async () => {
    const env = envFor(dir, { OFFLINE_MODEL_LATENCY_MS: '20' });
    const config = loadConfig(env);
    local = getLocalLauncher({ entrypoint: jobEntrypoint(), env: jobEnvFor(config, env), maxRetries: 1, stdio: 'ignore', killGraceMs: 2_000 });
    const real = local;
    // Hold the real start until the client is connected.
    let held: LaunchRequest | null = null;
    const gated: JobLauncher = {
      backend: 'local',
      async launch(req) {
        held = req;
        return { backend: 'local', name: 'local/executions/gated' };
      },
      observe: async () => ({ state: 'unknown' }),
      close: async () => undefined,
    };
    server = await listen({ config, store, launcher: gated, heartbeatMs: 50, tailIntervalMs: 50 });
    const r = await build(server.url, KEYS.acme, { params: PARAMS });
    expect(r.status).to.equal(202);
    const { runId } = r.body;

    const res = await fetch(`${server.url}/runs/${runId}/events`, { headers: { accept: 'text/event-stream' } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
    let late: Promise<SseFrame[]> | null = null;
    const frames = await readSse(res, (_f, all) => {
      if (all.length === 3 && held) void real.launch(held);
      // A second client joins mid-run, resuming after seq 5.
      if (all.length === 12 && !late) {
        late = fetch(`${server!.url}/runs/${runId}/events`, { headers: { accept: 'text/event-stream', 'last-event-id': '5' } }).then((x) => readSse(x));
      }
    });

    const log = (await store.readLog(runId)).events;
    const end = frames.at(-1);
    expect(end?.event).to.equal('end');
    expect(JSON.parse(end?.data ?? '{}')).to.include({ runId, status: 'succeeded', lastSeq: log.length });
    const events = frames.slice(0, -1);
    expect(events.map((f) => Number(f.id))).to.deep.equal(log.map((e) => e.seq));
    expect(events.map((f) => f.data)).to.deep.equal(log.map((e) => serializeEvent(e).trimEnd()));
    expect(events.map((f) => parseEventLine(f.data ?? '').seq)).to.deep.equal(log.map((_, i) => i + 1));
    expect(log.at(-1)?.type === 'execution.finished' || log.some((e) => e.type === 'run.completed')).to.equal(true);

    expect(late, 'the second client started').to.not.equal(null);
    const lateFrames = await (late as unknown as Promise<SseFrame[]>);
    expect(lateFrames.slice(0, -1).map((f) => Number(f.id))).to.deep.equal(log.slice(5).map((e) => e.seq));
    expect(lateFrames.at(-1)?.event).to.equal('end');

    // A client arriving after the end gets the whole log and the end at once.
    const after = await readSse(await fetch(`${server.url}/runs/${runId}/events?after=${log.length - 2}`, { headers: { accept: 'text/event-stream' } }));
    expect(after.map((f) => f.id ?? f.event)).to.deep.equal([String(log.length - 1), String(log.length), 'end']);
  });
});
