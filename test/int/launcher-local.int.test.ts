import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { LaunchError, platformExecutionOf } from '../../orchestrator/launchers/job-launcher.ts';
import { getLocalLauncher, type LocalExecutionEnd, type LocalLauncher, type LocalLauncherOptions } from '../../orchestrator/launchers/local-launcher.ts';
import { isAlive } from '../support/processes.ts';

const FAKE_JOB = resolve(import.meta.dirname, '../support/fixtures/fake-job.ts');

interface AttemptLine { pid: number; argv: string[]; env: Record<string, string> }

async function readAttempts(file: string): Promise<AttemptLine[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AttemptLine);
}

async function waitUntil<T>(probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('local JobLauncher (child process supervised like a Cloud Run task)', function () {
  this.timeout(15_000);
  let dir: string;
  let out: string;
  let launcher: LocalLauncher | null = null;

  const make = (plan: string, extra: Partial<LocalLauncherOptions> = {}): LocalLauncher => {
    launcher = getLocalLauncher({
      entrypoint: FAKE_JOB,
      maxRetries: 3,
      stdio: 'ignore',
      killGraceMs: 500,
      ...extra,
      env: { FAKE_JOB_OUT: out, FAKE_JOB_PLAN: plan, FAKE_SECRET: 's3cr3t-value', ...(extra.env ?? {}) },
    });
    return launcher;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-local-launcher-'));
    out = join(dir, 'attempts.jsonl');
  });
  afterEach(async () => {
    await launcher?.close();
    launcher = null;
    await rm(dir, { recursive: true, force: true });
  });

  it('starts the entrypoint with the base env and the Cloud Run task env, secrets only in env', async () => {
    const l = make('0');
    const result = await l.launch({ runId: 'run-1', executionId: 'exec-1' });
    expect(result.backend).to.equal('local');
    expect(result.name).to.match(/^local\/executions\/local-[a-z0-9]{5}$/);
    const end = await l.waitFor('exec-1');
    expect(end).to.include({ outcome: 'succeeded', code: 0, signal: null, attempts: 1 });

    const [line, ...rest] = await readAttempts(out);
    expect(rest).to.have.length(0);
    expect(line?.env).to.deep.include({
      RUN_ID: 'run-1', EXECUTION_ID: 'exec-1', FAKE_SECRET: 's3cr3t-value',
      CLOUD_RUN_JOB: 'scenarioforge-local', CLOUD_RUN_EXECUTION: result.name.split('/').at(-1),
      CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_ATTEMPT: '0', CLOUD_RUN_TASK_COUNT: '1',
    });
    // Node 22 running the .ts entrypoint directly; nothing else on the command line.
    expect(line?.argv).to.deep.equal([process.execPath, FAKE_JOB]);
    expect(JSON.stringify(line?.argv)).not.to.include('s3cr3t');
  });

  it('runs each attempt as its own process group and lists it in running()', async () => {
    const l = make('hang');
    await l.launch({ runId: 'run-2', executionId: 'exec-2' });
    const [task] = l.running();
    expect(task).to.include({ runId: 'run-2', executionId: 'exec-2', attempt: 0 });
    const stat = await readFile(`/proc/${task?.pid}/stat`, 'utf8');
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    expect(pgrp).to.equal(task?.pid);
  });

  it('starts a child killed with SIGKILL again, with CLOUD_RUN_TASK_ATTEMPT + 1', async () => {
    const l = make('hang,0');
    await l.launch({ runId: 'run-3', executionId: 'exec-3' });
    const first = await waitUntil(() => l.running()[0], 'attempt 0');
    expect(first.attempt).to.equal(0);
    await waitUntil(async () => (await readAttempts(out)).length === 1, 'attempt 0 to report');
    process.kill(first.pid, 'SIGKILL');

    const end = await l.waitFor('exec-3');
    expect(end).to.include({ outcome: 'succeeded', code: 0, attempts: 2 });
    const lines = await readAttempts(out);
    expect(lines.map((a) => a.env['CLOUD_RUN_TASK_ATTEMPT'])).to.deep.equal(['0', '1']);
    expect(lines[1]?.pid).not.to.equal(first.pid);
    expect(lines[1]?.env['CLOUD_RUN_EXECUTION']).to.equal(lines[0]?.env['CLOUD_RUN_EXECUTION']);
    expect(l.running()).to.deep.equal([]);
  });

  it('treats exit 0 as done: no further attempt, onExit called once', async () => {
    const ends: LocalExecutionEnd[] = [];
    const l = make('0', { onExit: (info) => ends.push(info) });
    const { name } = await l.launch({ runId: 'run-4', executionId: 'exec-4' });
    const end = await l.waitFor(name);
    await new Promise((r) => setTimeout(r, 100));
    expect(end.attempts).to.equal(1);
    expect(ends).to.deep.equal([end]);
    expect(await readAttempts(out)).to.have.length(1);
  });

  it('gives up after maxRetries retries and reports the last exit code', async () => {
    const l = make('7', { maxRetries: 2 });
    await l.launch({ runId: 'run-5', executionId: 'exec-5' });
    const end = await l.waitFor('exec-5');
    expect(end).to.include({ outcome: 'failed', code: 7, signal: null, attempts: 3 });
    const lines = await readAttempts(out);
    expect(lines.map((a) => a.env['CLOUD_RUN_TASK_ATTEMPT'])).to.deep.equal(['0', '1', '2']);
  });

  it('reports a death by signal; maxRetries 0 means a single attempt', async () => {
    const l = make('signal:SIGTERM', { maxRetries: 0 });
    await l.launch({ runId: 'run-6', executionId: 'exec-6' });
    const end = await l.waitFor('exec-6');
    expect(end).to.include({ outcome: 'failed', code: null, signal: 'SIGTERM', attempts: 1 });
  });

  it('kills an attempt that outlives the task timeout and retries it', async () => {
    const l = make('hang,0', { taskTimeoutSeconds: 0.3, killGraceMs: 200 });
    await l.launch({ runId: 'run-7', executionId: 'exec-7' });
    const end = await l.waitFor('exec-7');
    expect(end).to.include({ outcome: 'succeeded', attempts: 2 });
  });

  it('close() SIGTERMs children, escalates to SIGKILL after the grace period, and restarts nothing', async () => {
    const l = make('hang', { killGraceMs: 300, env: { FAKE_JOB_IGNORE_SIGTERM: '1' } });
    await l.launch({ runId: 'run-8', executionId: 'exec-8' });
    const first = await waitUntil(() => l.running()[0], 'attempt 0');
    // Give the child time to install its SIGTERM handler.
    await waitUntil(async () => (await readAttempts(out)).length === 1, 'attempt 0 to report');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await l.close();
    expect(Date.now() - started).to.be.at.least(250);
    const end = await l.waitFor('exec-8');
    expect(end).to.include({ outcome: 'stopped', signal: 'SIGKILL', attempts: 1 });
    expect(isAlive(first.pid)).to.equal(false);

    const err = await l.launch({ runId: 'run-8', executionId: 'exec-9' }).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(LaunchError);
    expect(err).to.include({ retryable: false, code: 'closed' });
  });

  describe('observe', () => {
    it('a running execution is running, and its handle names the first attempt\'s process', async () => {
      const l = make('hang');
      const result = await l.launch({ runId: 'run-30', executionId: 'exec-30' });
      const task = await waitUntil(() => l.running()[0], 'attempt 0');
      expect(result.platformExecution).to.equal(`local:${task.pid}`);
      expect(await l.observe('exec-30', platformExecutionOf(result))).to.deep.equal({ state: 'running' });
      expect(await l.observe('exec-30')).to.deep.equal({ state: 'running' });
    });

    it('JOB_MAX_RETRIES=0 and the job SIGKILLed mid-run: ended, failed, saying how and after how many attempts', async () => {
      const l = make('hang', { maxRetries: 0 });
      const result = await l.launch({ runId: 'run-31', executionId: 'exec-31' });
      const task = await waitUntil(() => l.running()[0], 'attempt 0');
      await waitUntil(async () => (await readAttempts(out)).length === 1, 'attempt 0 to report');
      const killedAt = Date.now();
      process.kill(task.pid, 'SIGKILL');
      await l.waitFor('exec-31');
      const o = await l.observe('exec-31', platformExecutionOf(result));
      expect(o).to.deep.include({
        state: 'ended', outcome: 'failed',
        reason: 'the job process was killed by SIGKILL after 1 attempt (JOB_MAX_RETRIES=0)',
      });
      const endedAt = Date.parse(o.state === 'ended' ? o.endedAt ?? '' : '');
      expect(endedAt).to.be.within(killedAt - 50, Date.now());
    });

    it('retries used up: the last exit code and the attempt count; a success and a stop read as such', async () => {
      const l = make('7', { maxRetries: 2 });
      await l.launch({ runId: 'run-32', executionId: 'exec-32' });
      await l.waitFor('exec-32');
      expect(await l.observe('exec-32')).to.deep.include({
        state: 'ended', outcome: 'failed', reason: 'the job process exited with code 7 after 3 attempts (JOB_MAX_RETRIES=2)',
      });
      await l.close();

      const ok = make('3,0', { maxRetries: 2 });
      await ok.launch({ runId: 'run-33', executionId: 'exec-33' });
      await ok.waitFor('exec-33');
      expect(await ok.observe('exec-33')).to.deep.include({ state: 'ended', outcome: 'succeeded', reason: 'the job process exited with code 0 after 2 attempts' });
      await ok.close();

      const stopped = make('hang', { killGraceMs: 300 });
      await stopped.launch({ runId: 'run-34', executionId: 'exec-34' });
      await waitUntil(() => stopped.running()[0], 'attempt 0');
      await stopped.close();
      expect(await stopped.observe('exec-34')).to.deep.include({
        state: 'ended', outcome: 'cancelled', reason: 'the orchestrator stopped the execution; its job process was killed by SIGTERM after 1 attempt',
      });
    });

    it('an execution another launcher started (an orchestrator restart): running while its process lives, then unknown, never a guess', async () => {
      const first = make('hang', { onClose: 'detach' });
      const result = await first.launch({ runId: 'run-35', executionId: 'exec-35' });
      const task = await waitUntil(() => first.running()[0], 'attempt 0');
      await first.close();
      const handle = platformExecutionOf(result);
      const second = make('0');
      try {
        expect(await first.observe('exec-35', handle), 'detached, yet still running').to.deep.equal({ state: 'running' });
        expect(await second.observe('exec-35', handle)).to.deep.equal({ state: 'running' });
        // The same pid for another execution is not this one.
        expect((await second.observe('exec-other', handle)).state).to.equal('unknown');
      } finally {
        process.kill(-task.pid, 'SIGKILL');
      }
      await waitUntil(() => !isAlive(task.pid), 'the detached job to die');
      const gone = await second.observe('exec-35', handle);
      expect(gone.state).to.equal('unknown');
      expect(gone.state === 'unknown' ? gone.reason : '').to.include(`pid ${task.pid}`);
      expect((await second.observe('exec-never')).state).to.equal('unknown');
    });
  });

  it('rejects a missing entrypoint with a non-retryable LaunchError', async () => {
    launcher = getLocalLauncher({ entrypoint: join(dir, 'nope.ts'), env: {}, maxRetries: 3 });
    const err = await launcher.launch({ runId: 'r', executionId: 'e' }).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(LaunchError);
    expect(err).to.include({ retryable: false, code: 'ENOENT' });
  });

  it('validates maxRetries like Cloud Run (0–10)', () => {
    expect(() => getLocalLauncher({ entrypoint: FAKE_JOB, env: {}, maxRetries: 11 })).to.throw(RangeError, /JOB_MAX_RETRIES/);
  });
});
