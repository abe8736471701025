/**
 * The cloud topology on one machine, wired as production wires it: the
 * orchestrator process with RUN_STORE=gcs, JOB_LAUNCHER=cloudrun and
 * PUBSUB_TOPIC set, against the GCS emulator, the Run Admin API stub (which
 * starts the job like Cloud Run, task retry included), Google's Pub/Sub
 * emulator and the Gemini stub. A task is SIGKILLed mid-run; the platform's
 * retry resumes it. Then the orchestrator restarts with its /tmp wiped.
 */
import { PubSub, type Message } from '@google-cloud/pubsub';
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pubSubClientConfig } from '../../shared/events-bus/pubsub-publisher.ts';
import { JOB_ENTRYPOINT } from '../support/job-process.ts';
import { startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator.ts';
import { startGeminiStub, type GeminiStub } from '../support/gemini-stub.ts';
import { isSkipped, startPubSubEmulator, type PubSubEmulator } from '../support/pubsub-emulator.ts';
import { startRunAdminStub, type RunAdminStub } from '../support/run-admin-stub.ts';
import { freePort } from '../support/ports.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PROJECT = 'sf-cloud';
const BUCKET = 'sf-runs';
const PREFIX = 'prod';
const TOPIC = 'run-progress';
const FAKE_GEMINI_KEY = 'AIzaSyFAKE-cloud-topology-0123456789abcdef';
const API_KEY = 'acme-cloud-key-0001';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Orchestrator {
  url: string;
  child: ChildProcess;
  output: () => string;
}

describe('cloud topology on one machine (GCS + Cloud Run + Pub/Sub + Gemini, all local)', function () {
  this.timeout(240_000);
  let gcs: GcsEmulator;
  let gemini: GeminiStub;
  let runApi: RunAdminStub;
  let pubsub: PubSubEmulator | null = null;
  let tmpA: string;
  let orchestrator: Orchestrator;
  const received: { runId: string; seq: number; attributes: Record<string, string>; data: string }[] = [];
  let closeSubscriber: () => Promise<void> = async () => {};

  const env = (): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    RUN_STORE: 'gcs',
    GCS_BUCKET: BUCKET,
    RUNS_PREFIX: PREFIX,
    GCS_API_ENDPOINT: gcs.url,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    LLM_PROVIDER: 'gemini',
    GEMINI_API_KEY: FAKE_GEMINI_KEY,
    GEMINI_BASE_URL: gemini.baseUrl,
    NODE_RETRY_BASE_MS: '50',
    LOG_LEVEL: 'info',
    ...(pubsub ? { PUBSUB_TOPIC: TOPIC, PUBSUB_EMULATOR_HOST: pubsub.host } : {}),
  });

  async function startOrchestrator(tmp: string): Promise<Orchestrator> {
    const port = await freePort();
    let out = '';
    const child = spawn(process.execPath, [path.join(ROOT, 'orchestrator/main.ts')], {
      env: {
        ...env(),
        TMPDIR: tmp,
        PORT: String(port),
        API_KEYS: `acme:${API_KEY}`,
        JOB_LAUNCHER: 'cloudrun',
        CLOUD_RUN_JOB: runApi.jobName,
        CLOUD_RUN_API_ENDPOINT: runApi.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`orchestrator exited: ${out}`);
      try {
        if ((await fetch(`${url}/health`)).ok) return { url, child, output: () => out };
      } catch {
        // not up yet
      }
      await sleep(50);
    }
    throw new Error(`orchestrator did not start: ${out}`);
  }

  async function stop(o: Orchestrator): Promise<void> {
    if (o.child.exitCode !== null) return;
    const exited = new Promise((r) => o.child.once('exit', r));
    o.child.kill('SIGTERM');
    await exited;
  }

  before(async () => {
    gcs = await startGcsEmulator();
    // Slow enough that the run spans several one-second commits, so it can be killed mid-run.
    gemini = await startGeminiStub({ apiKey: FAKE_GEMINI_KEY, latencyMs: 400 });
    const emulator = await startPubSubEmulator();
    if (isSkipped(emulator)) {
      console.log(`\n      ******** SKIPPED (Pub/Sub part only): ${emulator.skipped} ********\n`);
    } else {
      pubsub = emulator;
      const client = new PubSub(pubSubClientConfig(PROJECT, emulator.host));
      const [topic] = await client.createTopic(TOPIC);
      const [subscription] = await topic.createSubscription(`${TOPIC}-watcher`, { enableMessageOrdering: true, ackDeadlineSeconds: 30 });
      subscription.on('message', (m: Message) => {
        received.push({ runId: m.attributes.runId ?? '', seq: Number(m.attributes.seq), attributes: { ...m.attributes }, data: m.data.toString() });
        m.ack();
      });
      closeSubscriber = async () => {
        await subscription.close();
        await client.close();
      };
    }
    runApi = await startRunAdminStub({
      project: PROJECT,
      location: 'europe-west1',
      job: 'scenarioforge-job',
      spawn: { entrypoint: JOB_ENTRYPOINT, env: env(), maxRetries: 3, stdio: 'ignore' },
    });
    tmpA = await mkdtemp(path.join(os.tmpdir(), 'sf-instance-'));
    orchestrator = await startOrchestrator(tmpA);
  });

  after(async () => {
    if (orchestrator) await stop(orchestrator);
    await closeSubscriber();
    await runApi?.stop();
    await gemini?.close();
    await gcs?.stop();
  });

  let runId = '';

  it('/health reports the cloud backends and a key source, never a key', async () => {
    const res = await fetch(`${orchestrator.url}/health`);
    const text = await res.text();
    const health = JSON.parse(text) as Record<string, string>;
    expect(health).to.include({ storage_backend: 'gcs', job_backend: 'cloudrun', llm_provider: 'gemini', api_key_source: 'env' });
    expect(health.pubsub).to.equal(pubsub ? 'on' : 'off');
    expect(text).to.not.include(FAKE_GEMINI_KEY);
  });

  it('a build runs as a Cloud Run execution; a task killed mid-run is retried and the run completes', async () => {
    const res = await fetch(`${orchestrator.url}/build`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ params: { company: 'Nordlicht Netz AG', focalQuestion: 'How will European grid operators fund the 2035 transition?', horizonYear: 2035, region: 'Europe' }, label: 'cloud topology' }),
    });
    expect(res.status).to.equal(202);
    runId = ((await res.json()) as { runId: string }).runId;
    const run = runApi.requests.find((r) => r.path.includes(':run'));
    expect(run?.path).to.match(/^\/v2\/projects\/sf-cloud\/locations\/europe-west1\/jobs\/scenarioforge-job:run/);

    // Kill the task once a few nodes are done (Cloud Run's task retry must resume by replay).
    let killed = false;
    const seen: string[] = [];
    for (let i = 0; i < 600 && !killed; i++) {
      const state = (await (await fetch(`${orchestrator.url}/runs/${runId}/run.json`)).json()) as { status: string; progress?: { done: number } };
      seen.push(`${state.status}:${state.progress?.done}:${runApi.executions[0]?.attempts[0]?.pid}`);
      const pid = runApi.executions[0]?.attempts[0]?.pid;
      if ((state.progress?.done ?? 0) >= 3 && pid && state.status === 'running') {
        process.kill(pid, 'SIGKILL');
        killed = true;
      }
      await sleep(50);
    }
    expect(killed, `the task was killed mid-run (saw ${[...new Set(seen)].join(' ')})`).to.equal(true);
    const execution = await runApi.waitForExecution(runApi.executions[0]?.name ?? '');
    expect(execution.status).to.equal('succeeded');
    expect(execution.attempts.length).to.be.at.least(2);

    let state: { status: string; executions: { cloudRunExecution: string | null; launchedAs: string | null; taskAttempts: number }[]; lastSeq: number } = { status: '', executions: [], lastSeq: 0 };
    for (let i = 0; i < 200; i++) {
      state = (await (await fetch(`${orchestrator.url}/runs/${runId}/run.json`)).json()) as typeof state;
      if (state.status === 'succeeded') break;
      await sleep(100);
    }
    expect(state.status).to.equal('succeeded');
    expect(state.executions[0]?.launchedAs).to.equal(execution.name);
    expect(state.executions[0]?.cloudRunExecution).to.equal(execution.shortName);
    expect(state.executions[0]?.taskAttempts).to.be.at.least(2);
    const events = (await (await fetch(`${orchestrator.url}/runs/${runId}/events`)).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.seq)).to.deep.equal(events.map((_, i) => i + 1));
    expect(gemini.requests.length).to.be.at.least(10);
    expect(gemini.requests.every((r) => r.headers['x-goog-api-key'] === FAKE_GEMINI_KEY)).to.equal(true);
  });

  it('a Pub/Sub subscriber saw every event of the run, in order after dedup, with every attribute', async function () {
    if (!pubsub) {
      console.log('      SKIPPED: no Pub/Sub emulator on this machine');
      this.skip();
    }
    const lastSeq = ((await (await fetch(`${orchestrator.url}/runs/${runId}/run.json`)).json()) as { lastSeq: number }).lastSeq;
    const firsts = () => {
      const seen = new Set<number>();
      return received.filter((r) => r.runId === runId && !seen.has(r.seq) && seen.add(r.seq));
    };
    for (let i = 0; i < 300 && firsts().length < lastSeq; i++) await sleep(100);
    const got = firsts();
    expect(got.map((r) => r.seq), 'every seq, strictly increasing').to.deep.equal(Array.from({ length: lastSeq }, (_, i) => i + 1));
    for (const r of got) {
      expect(r.attributes).to.include({ runId, tenant: 'acme', 'ce-specversion': '1.0', seq: String(r.seq) });
      expect(r.attributes['ce-id']).to.equal(JSON.parse(r.data).id);
      expect(r.attributes['ce-type']).to.equal(r.attributes.type);
      for (const k of ['type', 'runStatus', 'ce-source', 'ce-time']) expect(r.attributes[k], k).to.be.a('string').and.not.equal('');
    }
  });

  it('verify-cloudrun passes against it', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts/verify-cloudrun.ts'), '--base-url', orchestrator.url, '--key', API_KEY, '--json'], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code, out).to.equal(0);
    expect(out).to.not.include(API_KEY);
  });

  it('after an instance restart with /tmp wiped, the run page, run.json, events and every artifact are served with the same bytes', async () => {
    const urls = [`/runs/${runId}`, `/runs/${runId}/run.json`, `/runs/${runId}/events`];
    const state = (await (await fetch(`${orchestrator.url}/runs/${runId}/run.json`)).json()) as { nodes: Record<string, { artifacts: string[] }> };
    const artifacts = Object.values(state.nodes).flatMap((n) => n.artifacts);
    expect(artifacts).to.include.members(['scenario-matrix.svg', 'wind-tunnel.svg', 'report.md']);
    urls.push(...artifacts.map((a) => `/runs/${runId}/artifacts/${a}`));
    const before = new Map<string, string>();
    for (const u of urls) {
      const res = await fetch(orchestrator.url + u);
      expect(res.status, u).to.equal(200);
      before.set(u, Buffer.from(await res.arrayBuffer()).toString('base64'));
    }
    await stop(orchestrator);
    await rm(tmpA, { recursive: true, force: true });
    const tmpB = await mkdtemp(path.join(os.tmpdir(), 'sf-instance-'));
    tmpA = tmpB;
    orchestrator = await startOrchestrator(tmpB);
    for (const u of urls) {
      const res = await fetch(orchestrator.url + u);
      expect(res.status, u).to.equal(200);
      expect(Buffer.from(await res.arrayBuffer()).toString('base64'), u).to.equal(before.get(u));
    }
  });

  it('the Gemini key is nowhere: not in any stored object, the orchestrator’s logs, /health or error bodies', async () => {
    for (const name of gcs.listNames(BUCKET)) {
      expect(gcs.getObject(BUCKET, name)?.bytes.toString('utf8'), name).to.not.include(FAKE_GEMINI_KEY);
    }
    const bad = await fetch(`${orchestrator.url}/build`, { method: 'POST', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' }, body: '{"params":' });
    expect(await bad.text()).to.not.include(FAKE_GEMINI_KEY);
    expect(await (await fetch(`${orchestrator.url}/health`)).text()).to.not.include(FAKE_GEMINI_KEY);
    expect(orchestrator.output()).to.not.include(FAKE_GEMINI_KEY);
    expect(orchestrator.output()).to.not.include(API_KEY);
  });
});
