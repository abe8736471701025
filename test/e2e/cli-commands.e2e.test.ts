import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StoredEvent } from '../../shared/domain/events.ts';
import { followRunEvents } from '../../scripts/cli/event-stream.ts';
import { getProgressReporter } from '../../scripts/cli/progress.ts';
import { KEYS } from '../support/orchestrator.ts';
import { freePort, runCli, startCliOrchestrator, type CliOrchestrator, type ProcessResult } from '../support/cli-orchestrator.ts';
import { prepareRun } from '../support/ui-runs.ts';
import { tempDir } from '../support/temp-dir.ts';

const RUN_ID = /[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}/;

const params = (n: string) => ({
  company: `Acme Grid ${n}`,
  focalQuestion: `How will European grid operators fund the 2035 transition? (${n})`,
  horizonYear: 2035,
  region: 'Europe',
});

const flags = (p: ReturnType<typeof params>) => ['--company', p.company, '--question', p.focalQuestion, '--horizon', String(p.horizonYear), '--region', p.region];

function json<T = Record<string, unknown>>(r: ProcessResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}): ${r.stdout.slice(0, 300)} / ${r.stderr.slice(0, 300)}`);
  }
}

/** No output of any command may contain a key. */
function expectNoKey(r: ProcessResult): void {
  for (const key of Object.values(KEYS)) {
    expect(r.stdout).to.not.include(key);
    expect(r.stderr).to.not.include(key);
  }
}

describe('scenarioforge CLI against a running orchestrator', function () {
  this.timeout(120_000);
  let orch: CliOrchestrator;
  let empty: { dir: string; cleanup(): Promise<void> };
  /** The CLI's env: the orchestrator and acme's key; RUNS_DIR empty so no local key is found. */
  const env = (extra: Record<string, string> = {}) => ({ SCENARIOFORGE_URL: orch.url, SCENARIOFORGE_API_KEY: KEYS.acme, RUNS_DIR: empty.dir, ...extra });
  const cli = async (args: string[], extra: Record<string, string> = {}) => {
    const r = await runCli(args, env(extra));
    expectNoKey(r);
    return r;
  };

  before(async () => {
    orch = await startCliOrchestrator({ offlineLatencyMs: 40 });
    empty = await tempDir('sf-cli-env-');
  });
  after(async () => {
    await orch?.close();
    await empty?.cleanup();
  });

  it('build from flags starts a run and prints its page; the same params from a file reuse it (--json)', async () => {
    const p = params('build');
    const first = await cli(['build', ...flags(p), '--label', 'cli build']);
    expect(first.code, first.stderr).to.equal(0);
    const runId = RUN_ID.exec(first.stdout)?.[0];
    expect(first.stdout).to.match(/^run \S+ created: queued/);
    expect(first.stdout).to.include(`page: ${orch.url}/runs/${runId}`);

    const file = path.join(empty.dir, 'params.json');
    await writeFile(file, JSON.stringify(p));
    // Global options before the command word work too.
    const again = await cli(['--json', 'build', '--params', file]);
    expect(again.code, again.stderr).to.equal(0);
    const body = json<{ runId: string; reused: boolean; links: { ui: string; runJson: string } }>(again);
    expect(body).to.deep.include({ runId, reused: true });
    expect(body.links.ui).to.equal(`${orch.url}/runs/${runId}`);
  });

  it('build --force --watch follows a new run to success: a progress line per change, exit 0, one JSON document', async () => {
    const p = params('watch');
    const r = await cli(['build', ...flags(p), '--force', '--watch', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const out = json<{ runId: string; status: string; reused: boolean; progress: { done: number; total: number } }>(r);
    expect(out).to.deep.include({ status: 'succeeded', reused: false, progress: { done: 12, total: 12 } });
    // Not a TTY: one progress line per change, on stderr under --json, ending at 12/12.
    const lines = r.stderr.trim().split('\n');
    expect(lines.length, r.stderr).to.be.greaterThan(2);
    expect(lines[0]).to.match(/^\[-+\]\s+0\/12/);
    expect(lines.at(-1)).to.match(/^\[#+\] 12\/12 {2}succeeded$/);
    expect(r.stderr).to.match(/running: [a-z_, ]+/);
    const done = lines.map((l) => Number(/ (\d+)\/12/.exec(l)?.[1]));
    expect(done).to.deep.equal([...done].sort((a, b) => a - b));
  });

  it('runs lists the tenant\'s runs as a table and as JSON, by status and page', async () => {
    const table = await cli(['runs']);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout.split('\n')[0]).to.match(/^RUN ID\s+STATUS\s+NODES\s+CREATED\s+LABEL$/);
    expect(table.stdout).to.include('cli build');

    const all = json<{ runs: { runId: string; status: string }[]; nextCursor: string | null }>(await cli(['runs', '--json']));
    expect(all.runs.length).to.be.at.least(2);
    const page1 = json<{ runs: { runId: string }[]; nextCursor: string | null }>(await cli(['runs', '--limit', '1', '--json']));
    expect(page1.runs).to.have.length(1);
    expect(page1.nextCursor).to.be.a('string');
    const page2 = json<{ runs: { runId: string }[] }>(await cli(['runs', '--limit', '1', '--cursor', page1.nextCursor as string, '--json']));
    expect(page2.runs[0]?.runId).to.equal(all.runs[1]?.runId);
    const succeeded = json<{ runs: { status: string }[] }>(await cli(['runs', '--status', 'succeeded', '--json']));
    expect(succeeded.runs.length).to.be.at.least(1);
    expect(succeeded.runs.every((r) => r.status === 'succeeded')).to.equal(true);

    const bad = await cli(['runs', '--status', 'sleeping']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr.trim()).to.equal('scenarioforge: 400 invalid_request: status: must be one of queued, running, succeeded, failed, cancelled');
  });

  it('watch follows a failed run to its end, exits 1 and names the node; retry --watch brings it to success', async () => {
    const { runId } = await prepareRun(orch.store, { failOn: 'scenario_b', params: params('failed') });
    const watched = await cli(['watch', runId]);
    expect(watched.code).to.equal(1);
    expect(watched.stdout).to.include(`watching run ${runId}`);
    expect(watched.stdout).to.match(/failed: scenario_b/);
    expect(watched.stderr).to.include(`run ${runId} failed at node "scenario_b"`);
    expect(watched.stderr).to.include(`scenarioforge retry ${runId} scenario_b`);

    const retried = await cli(['retry', runId, 'scenario_b', '--watch']);
    expect(retried.code, retried.stderr).to.equal(0);
    expect(retried.stdout).to.include(`retry of node "scenario_b" requested on run ${runId}`);
    expect(retried.stdout).to.include(`run ${runId} succeeded: 12/12 nodes`);

    const rerun = await cli(['watch', runId, '--json']);
    expect(rerun.code).to.equal(0);
    expect(json(rerun)).to.deep.include({ runId, status: 'succeeded' });
  });

  it('retry of a succeeded node is refused: exit 1 with the API\'s 409 message (and its JSON under --json)', async () => {
    const { runId } = await prepareRun(orch.store, { params: params('succeeded') });
    const r = await cli(['retry', runId, 'charter']);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr.trim()).to.equal('scenarioforge: 409 conflict: node "charter" is succeeded; only a failed or cancelled node can be retried');

    const j = await cli(['retry', runId, 'charter', '--json']);
    expect(j.code).to.equal(1);
    expect(json(j)).to.deep.equal({ error: { status: 409, code: 'conflict', message: 'node "charter" is succeeded; only a failed or cancelled node can be retried' } });

    const unknown = await cli(['retry', runId, 'no_such_node']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.match(/^scenarioforge: 404 not_found: run \S+ has no node "no_such_node"/);

    const foreign = await cli(['retry', runId, 'charter'], { SCENARIOFORGE_API_KEY: KEYS.globex });
    expect(foreign.code).to.equal(1);
    expect(foreign.stderr).to.match(/^scenarioforge: 404 not_found: run \S+ not found/);
  });

  it('resume starts a run whose execution never began; cancel stops a queued one, and a second cancel is a 409', async () => {
    const stalled = await prepareRun(orch.store, { execute: false, params: params('resume') });
    const resumed = await cli(['resume', stalled.runId, '--watch', '--json']);
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(json(resumed)).to.deep.include({ runId: stalled.runId, status: 'succeeded' });

    const queued = await prepareRun(orch.store, { execute: false, params: params('cancel') });
    const cancelled = await cli(['cancel', queued.runId]);
    expect(cancelled.code, cancelled.stderr).to.equal(0);
    expect(cancelled.stdout.trim()).to.equal(`run ${queued.runId} cancelled`);
    const twice = await cli(['cancel', queued.runId]);
    expect(twice.code).to.equal(1);
    expect(twice.stderr.trim()).to.equal('scenarioforge: 409 conflict: run is already cancelled');
    const watched = await cli(['watch', queued.runId]);
    expect(watched.code).to.equal(1);
    expect(watched.stderr).to.include(`run ${queued.runId} was cancelled`);
  });

  it('delete removes a run from runs; deleting it again is a 404; project folds its downloaded log', async () => {
    const { runId } = await prepareRun(orch.store, { params: params('delete') });
    const log = await fetch(`${orch.url}/runs/${runId}/events`).then((r) => r.text());
    const file = path.join(empty.dir, 'events.jsonl');
    await writeFile(file, log);
    const projected = await cli(['project', file]);
    expect(projected.code, projected.stderr).to.equal(0);
    expect(json(projected)).to.deep.include({ runId, status: 'succeeded' });

    const deleted = await cli(['delete', runId, '--json']);
    expect(deleted.code, deleted.stderr).to.equal(0);
    expect(json(deleted)).to.deep.equal({ runId, deleted: true });
    const listed = json<{ runs: { runId: string }[] }>(await cli(['runs', '--limit', '100', '--json']));
    expect(listed.runs.map((r) => r.runId)).to.not.include(runId);
    const again = await cli(['delete', runId]);
    expect(again.code).to.equal(1);
    expect(again.stderr.trim()).to.equal('scenarioforge: 404 not_found: run is already deleted');
    const watched = await cli(['watch', runId]);
    expect(watched.code).to.equal(1);
    expect(watched.stderr).to.match(/^scenarioforge: 410 gone: run \S+ was deleted/);
  });

  it('a wrong key is a 401 with the API\'s message, a missing one is said before sending, exit 1, and the key is never printed', async () => {
    const wrong = 'not-a-key-of-anyone-0000';
    const r = await runCli(['runs'], env({ SCENARIOFORGE_API_KEY: wrong }));
    expect(r.code).to.equal(1);
    expect(r.stderr.trim()).to.equal('scenarioforge: 401 unauthenticated: the API key is not valid');
    expect(r.stdout + r.stderr).to.not.include(wrong);

    const flag = await runCli(['build', ...flags(params('401')), '--key', wrong, '--json'], env());
    expect(flag.code).to.equal(1);
    expect(json(flag)).to.deep.include({ error: { status: 401, code: 'unauthenticated', message: 'the API key is not valid', details: [{ field: 'X-Api-Key', message: 'is not a known key' }] } });
    expect(flag.stdout + flag.stderr).to.not.include(wrong);

    const none = await runCli(['runs'], { SCENARIOFORGE_URL: orch.url, RUNS_DIR: empty.dir });
    expect(none.code).to.equal(1);
    expect(none.stderr.trim()).to.equal('scenarioforge: no API key: pass --key or set SCENARIOFORGE_API_KEY');
  });

  it('an invalid param is the API\'s field message; an unreachable orchestrator and a bad command line fail clearly', async () => {
    const invalid = await cli(['build', ...flags(params('x')), '--question', 'short?']);
    expect(invalid.code).to.equal(1);
    expect(invalid.stderr).to.match(/^scenarioforge: 400 invalid_request: params\.focalQuestion: /);

    const port = await freePort();
    const down = await runCli(['runs', '--url', `http://127.0.0.1:${port}`], env());
    expect(down.code).to.equal(1);
    expect(down.stderr.trim()).to.equal(`scenarioforge: cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);

    const usage = await cli(['build', '--company', 'Acme']);
    expect(usage.code).to.equal(2);
    expect(usage.stderr).to.match(/^scenarioforge: build needs --question, --horizon \(or --params file\.json\)\nusage: scenarioforge/);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/^scenarioforge: unknown command "frobnicate"/);
    const badFlag = await cli(['runs', '--colour']);
    expect(badFlag.code).to.equal(2);
    const help = await cli(['--help']);
    expect(help.code).to.equal(0);
    for (const command of ['build', 'runs', 'watch', 'retry', 'resume', 'cancel', 'delete', 'project', 'verify']) expect(help.stdout).to.match(new RegExp(`^  ${command}\\b`, 'm'));
  });
});

describe('scenarioforge watch internals', function () {
  this.timeout(60_000);

  it('follows a run across a dropped connection without missing or doubling an event', async () => {
    const orch = await startCliOrchestrator({ offlineLatencyMs: 150 });
    try {
      const res = await fetch(`${orch.url}/build`, {
        method: 'POST',
        headers: { 'x-api-key': KEYS.acme, 'content-type': 'application/json' },
        body: JSON.stringify({ params: params('drops') }),
      });
      const { runId } = (await res.json()) as { runId: string };
      const seen: StoredEvent[] = [];
      let seenAtDrop = 0;
      const end = await followRunEvents(orch.url, runId, {
        onEvents(events) {
          seen.push(...events);
          // Mid-run: the stream must resume after the last event it delivered.
          if (seenAtDrop === 0 && seen.length >= 3) {
            seenAtDrop = seen.length;
            setImmediate(() => orch.dropConnections());
          }
        },
      });
      expect(seenAtDrop).to.be.greaterThan(0);
      expect(seen.length, 'events arrived after the drop').to.be.greaterThan(seenAtDrop);
      expect(end).to.deep.include({ runId, status: 'succeeded', deleted: false });
      expect(seen.map((e) => e.seq)).to.deep.equal(Array.from({ length: end.lastSeq }, (_, i) => i + 1));
    } finally {
      await orch.close();
    }
  });

  it('draws progress as one redrawn line on a TTY and one line per change elsewhere', () => {
    const p = (done: number, running: string[]) => ({ status: 'running' as const, done, total: 12, running, failed: [] });
    let tty = '';
    const onTty = getProgressReporter({ isTTY: true, columns: 80, write: (t: string) => (tty += t) });
    onTty.update(p(0, ['charter']));
    onTty.update(p(0, ['charter']));
    onTty.update(p(6, ['scenario_a', 'scenario_b']));
    onTty.finish();
    expect(tty.split('\r\x1b[2K')).to.have.length(3);
    expect(tty).to.not.match(/\n(?!$)/);
    expect(tty).to.match(/ 6\/12 {2}running: scenario_a, scenario_b\n$/);

    let pipe = '';
    const onPipe = getProgressReporter({ write: (t: string) => (pipe += t) });
    onPipe.update(p(0, ['charter']));
    onPipe.update(p(0, ['charter']));
    onPipe.update(p(6, ['scenario_a']));
    onPipe.finish();
    expect(pipe).to.equal('[------------------------]  0/12  running: charter\n[############------------]  6/12  running: scenario_a\n');
  });
});
