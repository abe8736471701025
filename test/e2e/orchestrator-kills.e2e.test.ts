/**
 * Every index before the run is visible: the real orchestrator (`node
 * orchestrator/main.ts`) SIGKILLs itself at each step of a build in turn
 * (ORCHESTRATOR_FAILPOINT=claimed|indexed|logged|launched:1). Restarted
 * without the failpoint, its start-up and interval sweeps launch every
 * stranded run, which succeeds; an identical build returns the run (or
 * creates it under the claimed id) and it completes; and in the end GET /runs
 * lists exactly the runs that have a log, all terminal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { project } from '../../shared/domain/run-state.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import { API_KEYS, KEYS, PARAMS, waitUntil } from '../support/orchestrator.ts';
import { tempDir } from '../support/temp-dir.ts';

const MAIN = path.resolve(import.meta.dirname, '../../orchestrator/main.ts');
const ROOT = path.resolve(import.meta.dirname, '../..');
const STEPS = ['claimed', 'indexed', 'logged', 'launched'] as const;

interface Orchestrator { child: ChildProcess; base: Promise<string>; exit: Promise<NodeJS.Signals | number | null> }

function start(dir: string, extra: Record<string, string> = {}): Orchestrator {
  const env = {
    PATH: process.env['PATH'] ?? '', RUNS_DIR: dir, PORT: '0', API_KEYS, LOG_LEVEL: 'info',
    OFFLINE_MODEL_LATENCY_MS: '0', NODE_RETRY_BASE_MS: '10', RECONCILE_INTERVAL_S: '1', LAUNCH_GRACE_S: '1', ...extra,
  };
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exit = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const base = waitUntil(() => /listening on http:\/\/localhost:(\d+)/.exec(err)?.[1], 'the listening line', 20_000).then((port) => `http://127.0.0.1:${port}`);
  return { child, base, exit };
}

const buildBody = (step: string) => JSON.stringify({ params: { ...PARAMS, company: `Killed at ${step}` } });

async function post(base: string, step: string): Promise<{ status: number; runId: string } | null> {
  try {
    const res = await fetch(`${base}/build`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEYS.acme }, body: buildBody(step) });
    const body = await res.json() as { runId: string };
    return { status: res.status, runId: body.runId };
  } catch {
    return null; // the orchestrator died mid-request
  }
}

describe('orchestrator killed at each step of a build', function () {
  this.timeout(120_000);

  it('after a restart every stranded run is launched and succeeds; identical builds complete; listed runs = logged runs, all terminal', async () => {
    const { dir, cleanup } = await tempDir('sf-orch-kills-');
    const store = getLocalRunStore(dir);
    let live: Orchestrator | null = null;
    try {
      for (const step of STEPS) {
        const o = start(dir, { ORCHESTRATOR_FAILPOINT: `${step}:1` });
        live = o;
        expect(await post(await o.base, step), `the build killed at ${step} gets no answer`).to.equal(null);
        expect(await o.exit).to.equal('SIGKILL');
      }
      const logged = async () => {
        const ids = await store.listAllRunIds();
        const withLog = [];
        for (const id of ids) if ((await store.logHead(id)) !== null) withLog.push(id);
        return withLog;
      };
      // claimed/indexed died before the log: only logged/launched left a run.
      expect(await logged()).to.have.length(2);

      const o = start(dir);
      live = o;
      const base = await o.base;
      const states = async () => Promise.all((await logged()).map(async (id) => project((await store.readLog(id)).events)));
      await waitUntil(async () => (await states()).every((s) => s.status === 'succeeded'), 'the stranded runs to succeed', 30_000, 100);

      // Identical builds: the claimed runs that never got a log are created under their claim; the others are reused.
      const again = await Promise.all(STEPS.map(async (step) => ({ step, reply: await post(base, step) })));
      for (const { step, reply } of again) {
        expect(reply?.status, step).to.equal(step === 'claimed' || step === 'indexed' ? 202 : 200);
      }
      const runIds = again.map((a) => a.reply?.runId ?? '');
      await waitUntil(async () => (await states()).length === 4 && (await states()).every((s) => s.status === 'succeeded'), 'every run to succeed', 30_000, 100);
      const logs = (await logged()).sort();
      expect(logs).to.deep.equal([...runIds].sort());
      const listed = await (await fetch(`${base}/runs?limit=100`, { headers: { 'x-api-key': KEYS.acme } })).json() as { runs: { runId: string; status: string }[] };
      expect(listed.runs.map((r) => r.runId).sort()).to.deep.equal(logs);
      expect(listed.runs.every((r) => r.status === 'succeeded')).to.equal(true);
      o.child.kill('SIGTERM');
      await o.exit;
    } finally {
      if (live && live.child.exitCode === null && live.child.signalCode === null) live.child.kill('SIGKILL');
      await cleanup();
    }
  });
});
