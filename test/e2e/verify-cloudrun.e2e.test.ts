import { expect } from 'chai';
import { secretLookingFields } from '../../scripts/cli/verify/secrets.ts';
import { KEYS } from '../support/orchestrator.ts';
import { forceEveryBuild, runCli, runNode, startCliOrchestrator, VERIFY_SCRIPT, type CliOrchestrator } from '../support/cli-orchestrator.ts';
import { tempDir } from '../support/temp-dir.ts';

interface Report {
  ok: boolean;
  checks: { name: string; status: 'pass' | 'fail' | 'skip'; detail: string }[];
}

const REUSE_CHECK = 'dedup: the same params again reuse the run';
const STORAGE_CHECK = 'health: storage_backend is gcs';

function report(stdout: string): Report {
  return JSON.parse(stdout) as Report;
}

async function listedRuns(url: string): Promise<string[]> {
  const res = await fetch(`${url}/runs?limit=100`, { headers: { 'x-api-key': KEYS.acme } });
  return ((await res.json()) as { runs: { runId: string }[] }).runs.map((r) => r.runId);
}

describe('verify-cloudrun', function () {
  this.timeout(120_000);
  let empty: { dir: string; cleanup(): Promise<void> };
  const env = () => ({ SCENARIOFORGE_API_KEY: KEYS.acme, RUNS_DIR: empty.dir });
  before(async () => {
    empty = await tempDir('sf-verify-env-');
  });
  after(async () => empty?.cleanup());

  it('tells a /health that shows a key from one that names its source', () => {
    const healthy = { status: 'ok', storage_backend: 'gcs', job_backend: 'cloudrun', pubsub: 'on', llm_provider: 'gemini', api_key_source: 'env', version: '3f2a9c1d4e5b6a7c8d9e0f1a2b3c4d5e6f7a8b9c', pipeline_version: 'v1' };
    expect(secretLookingFields(healthy, [KEYS.acme])).to.deep.equal([]);
    expect(secretLookingFields({ ...healthy, api_key_source: 'AIzaSyD3x4mpl3K3yV4lu3ThatIsL0ng3n0ugh' }, [])).to.deep.equal(['api_key_source']);
    expect(secretLookingFields({ ...healthy, gemini: { key: 'q8Zr2LmN5vT9wXy3Kp7Hs1Df4Gj6' } }, [])).to.deep.equal(['gemini']);
    expect(secretLookingFields({ ...healthy, note: `key ${KEYS.acme}` }, [KEYS.acme])).to.deep.equal(['note']);
    expect(secretLookingFields({ ...healthy, version: 'sf_local_abcdefghijklmnop' }, [])).to.deep.equal(['version']);
  });

  describe('against a healthy orchestrator', () => {
    let orch: CliOrchestrator;
    before(async () => {
      orch = await startCliOrchestrator({ offlineLatencyMs: 20 });
    });
    after(async () => orch?.close());

    it('passes every check with --allow-local, prints the table, exits 0 and leaves no run behind', async () => {
      const r = await runNode(VERIFY_SCRIPT, ['--base-url', orch.url, '--allow-local', '--timeout', '90'], env(), 100_000);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      const rows = r.stdout.split('\n').filter((l) => /^(PASS|FAIL|SKIP) /.test(l));
      expect(rows.length).to.be.at.least(18);
      expect(rows.every((l) => l.startsWith('PASS')), r.stdout).to.equal(true);
      for (const name of [STORAGE_CHECK, 'health: api_key_source named, no secret shown', 'run: the build succeeds', 'public: every listed artifact loads with no key', REUSE_CHECK, 'dedup: force:true makes a new run', 'delete: the run leaves GET /runs', 'retry: a succeeded node is refused (409), nothing appended']) {
        expect(r.stdout).to.match(new RegExp(`^PASS\\s+${name.replace(/[().:]/g, '\\$&')}`, 'm'));
      }
      expect(r.stdout).to.match(/all \d+ checks passed against http:\/\/127\.0\.0\.1:\d+/);
      expect(r.stdout + r.stderr).to.not.include(KEYS.acme);
      expect(await listedRuns(orch.url)).to.deep.equal([]);
    });

    it('as `scenarioforge verify` without --allow-local: only the storage check fails, and the exit code says so', async () => {
      const r = await runCli(['verify', '--base-url', orch.url, '--timeout', '90', '--json'], env(), 100_000);
      expect(r.code, r.stderr).to.equal(1);
      const out = report(r.stdout);
      expect(out.ok).to.equal(false);
      const failed = out.checks.filter((c) => c.status !== 'pass');
      expect(failed.map((c) => c.name)).to.deep.equal([STORAGE_CHECK]);
      expect(failed[0]?.detail).to.include('storage_backend is "local"');
    });
  });

  describe('against a broken orchestrator (dedup off: every build is forced)', () => {
    let orch: CliOrchestrator;
    before(async () => {
      orch = await startCliOrchestrator({ offlineLatencyMs: 20, front: forceEveryBuild });
    });
    after(async () => orch?.close());

    it('reports the reuse check as FAILED and exits non-zero; every run it made is cleaned up', async () => {
      const r = await runNode(VERIFY_SCRIPT, ['--base-url', orch.url, '--allow-local', '--timeout', '90', '--json'], env(), 100_000);
      expect(r.code, r.stderr).to.equal(1);
      const out = report(r.stdout);
      expect(out.ok).to.equal(false);
      const reuse = out.checks.find((c) => c.name === REUSE_CHECK);
      expect(reuse?.status).to.equal('fail');
      expect(reuse?.detail).to.match(/expected 200, got 202/);
      // Only dedup is broken: everything else still passes.
      expect(out.checks.filter((c) => c.status !== 'pass').map((c) => c.name)).to.deep.equal([REUSE_CHECK]);
      expect(await listedRuns(orch.url)).to.deep.equal([]);

      const table = await runNode(VERIFY_SCRIPT, ['--base-url', orch.url, '--allow-local', '--timeout', '90'], env(), 100_000);
      expect(table.code).to.equal(1);
      expect(table.stdout).to.match(new RegExp(`^FAIL\\s+${REUSE_CHECK.replace(/[().:]/g, '\\$&')}\\s+POST /build with the same params: expected 200, got 202`, 'm'));
      expect(table.stdout).to.match(/1 of \d+ checks did not pass/);
    });
  });
});
