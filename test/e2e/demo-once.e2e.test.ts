import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import { DEMO_SCRIPT, freePort, runNode, type ProcessResult } from '../support/cli-orchestrator.ts';
import { listen, recordingLauncher, testConfig } from '../support/orchestrator.ts';
import { tempDir } from '../support/temp-dir.ts';

/** What `npm run demo -- --once` runs, with only the env a fresh clone would have (plus a temp store and port). */
function demo(runsDir: string, port: number): Promise<ProcessResult> {
  return runNode(DEMO_SCRIPT, ['--once'], { RUNS_DIR: runsDir, PORT: String(port), OFFLINE_MODEL_LATENCY_MS: '20' }, 90_000);
}

/** True when nothing listens on `port` any more (the demo stopped its orchestrator). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, () => s.close(() => resolve(true)));
  });
}

/** The run the demo printed, served by a separate orchestrator on the same store: the page, run.json. */
async function expectServed(runsDir: string, runId: string): Promise<void> {
  const later = await listen({ config: testConfig(runsDir), store: getLocalRunStore(runsDir), launcher: recordingLauncher() });
  try {
    const page = await fetch(`${later.url}/runs/${runId}`);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.include('text/html');
    const run = (await (await fetch(`${later.url}/runs/${runId}/run.json`)).json()) as { status: string; progress: { done: number; total: number } };
    expect(run).to.deep.include({ status: 'succeeded', progress: { done: 12, total: 12 } });
  } finally {
    await later.close();
  }
}

describe('npm run demo -- --once', function () {
  this.timeout(120_000);

  it('starts the orchestrator, reaches a succeeded run, prints its URL and the local key, and stops', async () => {
    const tmp = await tempDir('sf-demo-');
    try {
      const port = await freePort();
      const r = await demo(tmp.dir, port);
      expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
      const url = new RegExp(`Run page \\(public, no key needed\\):\\s+(http://localhost:${port}/runs/([0-9a-f-]{36}))`).exec(r.stdout);
      expect(url, r.stdout).to.not.equal(null);
      const runId = url?.[2] as string;
      expect(r.stdout).to.include(`run ${runId} succeeded: 12/12 nodes`);
      expect(r.stdout).to.match(/\[#+\] 12\/12 {2}succeeded/);
      expect(r.stdout).to.include('model         offline');
      // The one place the key is shown, labelled as a local development key; it is the key the orchestrator wrote.
      const key = (await readFile(path.join(tmp.dir, '.local-api-key'), 'utf8')).trim();
      expect(r.stdout).to.match(new RegExp(`Local development key \\(tenant "local".*\\):\\n  ${key}\\n`));
      expect(r.stdout.split(key).length - 1).to.equal(1);
      expect(await portIsFree(port)).to.equal(true);
      await expectServed(tmp.dir, runId);
    } finally {
      await tmp.cleanup();
    }
  });

  it('moves to a free port when PORT is busy, and says so', async () => {
    const tmp = await tempDir('sf-demo-');
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, resolve));
    const taken = (busy.address() as { port: number }).port;
    try {
      const r = await demo(tmp.dir, taken);
      expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
      const moved = new RegExp(`^Port ${taken} is busy; using port (\\d+) instead\\.$`, 'm').exec(r.stdout);
      expect(moved, r.stdout).to.not.equal(null);
      const runId = new RegExp(`Run page \\(public, no key needed\\):\\s+http://localhost:${moved?.[1]}/runs/([0-9a-f-]{36})`).exec(r.stdout)?.[1];
      expect(runId, r.stdout).to.be.a('string');
      await expectServed(tmp.dir, runId as string);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
      await tmp.cleanup();
    }
  });
});
