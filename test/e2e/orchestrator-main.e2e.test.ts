/**
 * The orchestrator as `npm start` runs it (`node orchestrator/main.ts`):
 * a bad configuration exits non-zero with one stderr line naming the
 * variable; a good one serves, generates the local API key (mode 0600, never
 * logged), builds a run whose job completes, and stops on SIGTERM. In worker
 * mode the job worker is up before the first build and outlives a SIGTERM of
 * the orchestrator only as long as the run it holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { project } from '../../shared/domain/run-state.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import { tempDir } from '../support/temp-dir.ts';
import { PARAMS, waitUntil } from '../support/orchestrator.ts';
import { isAlive } from '../support/processes.ts';

const MAIN = path.resolve(import.meta.dirname, '../../orchestrator/main.ts');
const ROOT = path.resolve(import.meta.dirname, '../..');

function start(env: Record<string, string>): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

describe('orchestrator: npm start', function () {
  this.timeout(60_000);

  const bad: { name: string; env: Record<string, string>; variable: string }[] = [
    { name: 'an unknown RUN_STORE', env: { RUN_STORE: 's3' }, variable: 'RUN_STORE' },
    { name: 'RUN_STORE=gcs without GCS_BUCKET', env: { RUN_STORE: 'gcs', API_KEYS: 'acme:0123456789abcdef' }, variable: 'GCS_BUCKET' },
    { name: 'malformed API_KEYS', env: { API_KEYS: 'acme=supersecretkey1' }, variable: 'API_KEYS' },
    { name: 'a key too short in API_KEYS', env: { API_KEYS: 'acme:short' }, variable: 'API_KEYS' },
    { name: 'an unreadable API_KEYS_FILE', env: { API_KEYS_FILE: '/nonexistent/keys' }, variable: 'API_KEYS_FILE' },
    { name: 'a bad PORT', env: { PORT: 'eighty' }, variable: 'PORT' },
    { name: 'JOB_LAUNCHER=cloudrun without CLOUD_RUN_JOB', env: { JOB_LAUNCHER: 'cloudrun' }, variable: 'CLOUD_RUN_JOB' },
    { name: 'an unknown LOCAL_JOB_MODE', env: { LOCAL_JOB_MODE: 'threads' }, variable: 'LOCAL_JOB_MODE' },
    { name: 'a negative RECONCILE_INTERVAL_S', env: { RECONCILE_INTERVAL_S: '-1' }, variable: 'RECONCILE_INTERVAL_S' },
    { name: 'a zero RUN_MAX_EXECUTIONS', env: { RUN_MAX_EXECUTIONS: '0' }, variable: 'RUN_MAX_EXECUTIONS' },
    { name: 'a short RECONCILE_TOKEN', env: { RECONCILE_TOKEN: 'supersecretkey1' }, variable: 'RECONCILE_TOKEN' },
    { name: 'an unknown ORCHESTRATOR_FAILPOINT step', env: { ORCHESTRATOR_FAILPOINT: 'planned:1' }, variable: 'ORCHESTRATOR_FAILPOINT' },
  ];
  for (const b of bad) {
    it(`${b.name}: exits non-zero with one line naming ${b.variable}`, async () => {
      const { dir, cleanup } = await tempDir('sf-main-bad-');
      try {
        const p = start({ RUNS_DIR: dir, ...b.env });
        const code = await p.exit;
        expect(code).to.not.equal(0);
        expect(code).to.not.equal(null);
        const lines = p.err().split('\n').filter((l) => l !== '');
        expect(lines, p.err()).to.have.length(1);
        expect(lines[0]).to.match(new RegExp(`^scenarioforge: config: ${b.variable}: `));
        expect(p.out()).to.equal('');
        expect(lines[0]).not.to.include('supersecretkey1');
        // Nothing was created: start-up failed before touching the store.
        expect(await fs.readdir(dir)).to.deep.equal([]);
      } finally {
        await cleanup();
      }
    });
  }

  it('local mode without API_KEYS: serves with a generated key (0600, never logged), runs a build to the end, stops on SIGTERM', async () => {
    const { dir, cleanup } = await tempDir('sf-main-ok-');
    const p = start({ RUNS_DIR: dir, PORT: '0', OFFLINE_MODEL_LATENCY_MS: '0', NODE_RETRY_BASE_MS: '10', LOG_LEVEL: 'info' });
    try {
      const port = await waitUntil(() => /listening on http:\/\/localhost:(\d+)/.exec(p.err())?.[1], 'the listening line', 20_000);
      const base = `http://127.0.0.1:${port}`;
      const keyFile = path.join(dir, '.local-api-key');
      const stat = await fs.stat(keyFile);
      expect(stat.mode & 0o777).to.equal(0o600);
      const key = (await fs.readFile(keyFile, 'utf8')).trim();
      expect(key.length).to.be.greaterThan(20);

      const health = await (await fetch(`${base}/health`)).json() as Record<string, unknown>;
      expect(health).to.include({ status: 'ok', storage_backend: 'local', job_backend: 'local', llm_provider: 'offline' });
      expect((await fetch(`${base}/runs`)).status).to.equal(401);

      const built = await fetch(`${base}/build`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ params: PARAMS }) });
      expect(built.status).to.equal(202);
      const { runId } = await built.json() as { runId: string };
      await waitUntil(async () => {
        const state = await (await fetch(`${base}/runs/${runId}/run.json`)).json() as { status: string };
        return state.status === 'succeeded';
      }, 'the run to finish', 30_000, 100);

      p.child.kill('SIGTERM');
      expect(await p.exit).to.equal(0);
      const logs = p.out() + p.err();
      expect(logs).not.to.include(key);
      // Structured lines Cloud Logging reads.
      const first = p.err().split('\n').find((l) => l.includes('"message"'));
      expect(JSON.parse(first ?? '{}')).to.have.property('severity');
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await cleanup();
    }
  });

  it('LOCAL_JOB_MODE=worker: the job worker starts with the orchestrator; after a SIGTERM it finishes the run it holds, then exits', async () => {
    const { dir, cleanup } = await tempDir('sf-main-worker-');
    const p = start({ RUNS_DIR: dir, PORT: '0', LOCAL_JOB_MODE: 'worker', OFFLINE_MODEL_LATENCY_MS: '250', NODE_RETRY_BASE_MS: '10', LOG_LEVEL: 'info' });
    let workerPid = 0;
    try {
      const port = await waitUntil(() => /listening on http:\/\/localhost:(\d+)/.exec(p.err())?.[1], 'the listening line', 20_000);
      const base = `http://127.0.0.1:${port}`;
      // Started ahead of the first build, and said so in the log.
      workerPid = await waitUntil(() => {
        const line = p.err().split('\n').find((l) => l.includes('"job worker started"'));
        return line ? (JSON.parse(line) as { pid: number }).pid : null;
      }, 'the job worker to start', 20_000);
      expect(isAlive(workerPid)).to.equal(true);
      const health = await (await fetch(`${base}/health`)).json() as Record<string, unknown>;
      expect(health).to.include({ job_backend: 'local', local_job_mode: 'worker' });

      const key = (await fs.readFile(path.join(dir, '.local-api-key'), 'utf8')).trim();
      const built = await fetch(`${base}/build`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ params: PARAMS }) });
      expect(built.status).to.equal(202);
      const { runId } = await built.json() as { runId: string };
      const store = getLocalRunStore(dir);
      await waitUntil(async () => project((await store.readLog(runId)).events).progress.done >= 1, 'the run to be under way', 20_000, 20);

      p.child.kill('SIGTERM');
      expect(await p.exit).to.equal(0);
      expect(project((await store.readLog(runId)).events).status, 'the orchestrator left before the run ended').to.equal('running');
      await waitUntil(async () => project((await store.readLog(runId)).events).status === 'succeeded', 'the worker to finish the run', 30_000, 50);
      await waitUntil(() => !isAlive(workerPid), 'the idle worker to exit', 10_000, 20);
      expect(p.err()).not.to.include(key);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      if (workerPid && isAlive(workerPid)) process.kill(workerPid, 'SIGKILL');
      await cleanup();
    }
  });
});
