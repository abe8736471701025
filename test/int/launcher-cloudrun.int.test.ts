import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExecutionsClient } from '@google-cloud/run';
import { expect } from 'chai';
import { JWT } from 'google-auth-library';
import { getCloudRunLauncher, redactCredentials, type CloudRunLauncher, type CloudRunLauncherOptions } from '../../orchestrator/launchers/cloudrun-launcher.ts';
import { LaunchError, platformExecutionOf, type ExecutionObservation } from '../../orchestrator/launchers/job-launcher.ts';
import { startRunAdminStub, type RunAdminStub, type RunAdminStubOptions } from '../support/run-admin-stub.ts';

const FAKE_JOB = resolve(import.meta.dirname, '../support/fixtures/fake-job.ts');
const PROJECT = 'sf-test';
const LOCATION = 'europe-west1';
const JOB = 'scenarioforge-job';

interface AttemptLine { pid: number; argv: string[]; env: Record<string, string> }

async function readAttempts(file: string): Promise<AttemptLine[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AttemptLine);
}

async function launchError(p: Promise<unknown>): Promise<LaunchError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).to.be.instanceOf(LaunchError);
  return err as LaunchError;
}

function jwtPayload(authorization: string | undefined): Record<string, unknown> {
  const payload = /^Bearer [\w-]+\.([\w-]+)\.[\w-]+$/.exec(authorization ?? '')?.[1];
  expect(payload, 'a bearer JWT').to.be.a('string');
  return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('Cloud Run JobLauncher (real @google-cloud/run against the Run Admin API stub)', function () {
  this.timeout(15_000);
  let stub: RunAdminStub | null = null;
  let launcher: CloudRunLauncher | null = null;
  let dir: string;
  let out: string;

  const start = async (extra: Partial<RunAdminStubOptions> = {}): Promise<RunAdminStub> => {
    stub = await startRunAdminStub({ project: PROJECT, location: LOCATION, job: JOB, ...extra });
    return stub;
  };
  const make = (s: RunAdminStub, extra: Partial<CloudRunLauncherOptions> = {}): CloudRunLauncher => {
    launcher = getCloudRunLauncher({ jobName: s.jobName, apiEndpoint: s.url, ...extra });
    return launcher;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-cloudrun-launcher-'));
    out = join(dir, 'attempts.jsonl');
  });
  afterEach(async () => {
    await launcher?.close();
    await stub?.stop();
    launcher = null;
    stub = null;
    await rm(dir, { recursive: true, force: true });
  });

  it('POSTs jobs/J:run with RUN_ID and EXECUTION_ID overrides and returns the execution name at once', async () => {
    const s = await start();
    const l = make(s, { env: { LOG_LEVEL: 'debug', RUN_ID: 'must-not-win' }, timeoutSeconds: 3600 });
    const result = await l.launch({ runId: 'run-1', executionId: 'exec-1' });

    expect(s.requests).to.have.length(1); // no operation polling: op.promise() is never awaited
    const [req] = s.requests;
    expect(req?.method).to.equal('POST');
    expect(req?.path).to.equal(`/v2/projects/${PROJECT}/locations/${LOCATION}/jobs/${JOB}:run`);
    expect(req?.query).to.deep.equal({ $alt: 'json;enum-encoding=int' });
    expect(req?.body).to.deep.equal({
      overrides: {
        containerOverrides: [{ env: [
          { name: 'RUN_ID', value: 'run-1' },
          { name: 'EXECUTION_ID', value: 'exec-1' },
          { name: 'LOG_LEVEL', value: 'debug' },
        ] }],
        taskCount: 1,
        timeout: '3600s',
      },
    });
    // Offline auth: a self-signed service-account JWT, no token endpoint involved.
    expect(jwtPayload(req?.headers.authorization)).to.include({ aud: 'https://run.googleapis.com/' });

    const [execution] = s.executions;
    expect(result).to.deep.equal({ backend: 'cloudrun', name: execution?.name });
    expect(result.name).to.match(new RegExp(`^projects/${PROJECT}/locations/${LOCATION}/jobs/${JOB}/executions/${JOB}-[a-z0-9]{5}$`));
    expect(execution?.status).to.equal('running');
  });

  it('leaves out the timeout override unless configured', async () => {
    const s = await start();
    await make(s).launch({ runId: 'run-2', executionId: 'exec-2' });
    expect(s.requests[0]?.body).to.deep.equal({
      overrides: { containerOverrides: [{ env: [{ name: 'RUN_ID', value: 'run-2' }, { name: 'EXECUTION_ID', value: 'exec-2' }] }], taskCount: 1 },
    });
  });

  it('maps 503, 429 and a dropped connection to retryable LaunchErrors, then launches', async () => {
    const s = await start({ faults: { runJob: [503, 429, 'reset'] } });
    const l = make(s);
    const req = { runId: 'run-3', executionId: 'exec-3' };

    const e503 = await launchError(l.launch(req));
    expect(e503).to.include({ retryable: true, code: 'UNAVAILABLE', httpStatus: 503 });
    const e429 = await launchError(l.launch(req));
    expect(e429).to.include({ retryable: true, code: 'RESOURCE_EXHAUSTED', httpStatus: 429 });
    const reset = await launchError(l.launch(req));
    expect(reset).to.include({ retryable: true, code: 'UNAVAILABLE' });

    for (const err of [e503, e429, reset]) {
      const text = `${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err)}`;
      expect(text).not.to.match(/Bearer|eyJ|PRIVATE KEY/);
      expect(err.cause).to.equal(undefined);
    }
    const ok = await l.launch(req);
    expect(ok.name).to.equal(s.executions[0]?.name);
    expect(s.executions).to.have.length(1);
  });

  it('maps 404 for an unknown job to a non-retryable LaunchError', async () => {
    const s = await start();
    const l = getCloudRunLauncher({ jobName: `projects/${PROJECT}/locations/${LOCATION}/jobs/missing`, apiEndpoint: s.url });
    launcher = l;
    const err = await launchError(l.launch({ runId: 'r', executionId: 'e' }));
    expect(err).to.include({ retryable: false, code: 'NOT_FOUND', httpStatus: 404 });
    expect(err.message).to.include('jobs/missing');
  });

  it('maps a refused connection to a retryable LaunchError', async () => {
    const s = await start();
    const url = s.url;
    await s.stop();
    stub = null;
    const l = getCloudRunLauncher({ jobName: `projects/${PROJECT}/locations/${LOCATION}/jobs/${JOB}`, apiEndpoint: url });
    launcher = l;
    const err = await launchError(l.launch({ runId: 'r', executionId: 'e' }));
    expect(err.retryable).to.equal(true);
  });

  it('rejects a malformed job name at construction', () => {
    expect(() => getCloudRunLauncher({ jobName: 'scenarioforge-job' })).to.throw(RangeError, /CLOUD_RUN_JOB/);
  });

  it('redacts credentials from error text', () => {
    const text = redactCredentials('auth Bearer ya29.abc.def failed; jwt eyJhbGciOi.eyJpc3Mi.c2ln; -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- ?key=AIzaXYZ');
    expect(text).not.to.match(/ya29|eyJ|MIIE|AIzaXYZ/);
  });

  describe('observe: getExecution through the real ExecutionsClient', () => {
    const ended = (o: ExecutionObservation) => {
      expect(o.state, JSON.stringify(o)).to.equal('ended');
      return o as Extract<ExecutionObservation, { state: 'ended' }>;
    };

    it('launch hands back the execution name from the operation metadata; observe reads it with GET and sees it running', async () => {
      const s = await start();
      const l = make(s);
      const result = await l.launch({ runId: 'run-20', executionId: 'exec-20' });
      const handle = platformExecutionOf(result);
      expect(handle).to.equal(s.executions[0]?.name);
      expect(await l.observe('exec-20', handle)).to.deep.equal({ state: 'running' });
      const get = s.requests.at(-1);
      expect(get?.method).to.equal('GET');
      expect(get?.path).to.equal(`/v2/${handle}`);
      // The client asks for numeric enums; the stub answers with them, as the API does.
      expect(get?.query).to.deep.equal({ $alt: 'json;enum-encoding=int' });
    });

    it('a task that failed after its retries: ended failed, with the counts, the condition message and completionTime', async () => {
      const s = await start();
      const l = make(s);
      const { name } = await l.launch({ runId: 'run-21', executionId: 'exec-21' });
      s.completeExecution(name, 'failed', { retriedCount: 3 });
      const o = ended(await l.observe('exec-21', name));
      expect(o.outcome).to.equal('failed');
      const short = name.split('/').at(-1) ?? '';
      expect(o.reason).to.match(new RegExp(`^Cloud Run execution ${short} failed: 1 task failed after 3 retries \\(Task ${short}-task0 failed with message: The container exited with an error`));
      expect(o.endedAt).to.equal(s.executions[0]?.completionTime);
    });

    it('cancelled and succeeded executions are told apart by the Completed condition', async () => {
      const s = await start();
      const l = make(s);
      const a = await l.launch({ runId: 'run-22', executionId: 'exec-22a' });
      const b = await l.launch({ runId: 'run-22', executionId: 'exec-22b' });
      s.completeExecution(a.name, 'cancelled');
      s.completeExecution(b.name, 'succeeded', { message: 'Execution completed in 42 s.' });
      const cancelled = ended(await l.observe('exec-22a', a.name));
      expect(cancelled).to.include({ outcome: 'cancelled' });
      expect(cancelled.reason).to.equal(`Cloud Run execution ${a.name.split('/').at(-1)} was cancelled: 1 task cancelled with no retry (The execution was cancelled.)`);
      const succeeded = ended(await l.observe('exec-22b', b.name));
      expect(succeeded).to.include({ outcome: 'succeeded' });
      expect(succeeded.reason).to.equal(`Cloud Run execution ${b.name.split('/').at(-1)} succeeded: 1 task succeeded with no retry (Execution completed in 42 s.)`);
    });

    it('an execution the API does not know (404) has ended: it cannot run without its resource', async () => {
      const s = await start();
      const l = make(s);
      const missing = `${s.jobName}/executions/${JOB}-gone1`;
      const o = ended(await l.observe('exec-23', missing));
      expect(o.outcome).to.equal('failed');
      expect(o.reason).to.include(`${JOB}-gone1`).and.include('execution not found on the platform');
      expect(s.requests.at(-1)?.path).to.equal(`/v2/${missing}`);
    });

    it('is unknown, never ended, when it cannot ask: no execution name, or the API unavailable', async () => {
      const s = await start({ faults: { getExecution: [503] } });
      const l = make(s);
      const { name } = await l.launch({ runId: 'run-24', executionId: 'exec-24' });
      const unavailable = await l.observe('exec-24', name);
      expect(unavailable.state).to.equal('unknown');
      expect(unavailable.state === 'unknown' ? unavailable.reason : '').to.include('UNAVAILABLE (HTTP 503)');
      const before = s.requests.length;
      const unnamed = await l.observe('exec-24');
      expect(unnamed.state).to.equal('unknown');
      const opName = await l.observe('exec-24', `projects/${PROJECT}/locations/${LOCATION}/operations/abc`);
      expect(opName.state).to.equal('unknown');
      expect(s.requests.length, 'nothing to ask the API about').to.equal(before);
      expect(await l.observe('exec-24', name)).to.deep.equal({ state: 'running' });
    });

    it('the stub answers enum names when numbers are not asked for (the wire shape the client decodes either way)', async () => {
      const s = await start({ requireAuth: false });
      const l = make(s);
      const { name } = await l.launch({ runId: 'run-25', executionId: 'exec-25' });
      s.completeExecution(name, 'failed', { retriedCount: 2 });
      const byName = await (await fetch(`${s.url}/v2/${name}`)).json() as Record<string, unknown>;
      const byNumber = await (await fetch(`${s.url}/v2/${name}?$alt=json%3Benum-encoding%3Dint`)).json() as Record<string, unknown>;
      const completed = (r: Record<string, unknown>) => (r['conditions'] as Record<string, unknown>[]).find((c) => c['type'] === 'Completed');
      expect(completed(byName)).to.include({ state: 'CONDITION_FAILED', executionReason: 'NON_ZERO_EXIT_CODE', severity: 'ERROR' });
      expect(completed(byNumber)).to.include({ state: 3, executionReason: 2, severity: 1 });
      expect(byName).to.include({ name, taskCount: 1, runningCount: 0, succeededCount: 0, failedCount: 1, cancelledCount: 0, retriedCount: 2, job: JOB });
      expect(byName['completionTime']).to.be.a('string');
      expect(byName['logUri']).to.be.a('string');
      expect(byName).not.to.have.property('@type');
    });

    it('spawn mode: a job that exits non-zero on every attempt is observed failed after Cloud Run\'s retries', async () => {
      const s = await start({ spawn: { entrypoint: FAKE_JOB, env: { FAKE_JOB_OUT: out, FAKE_JOB_PLAN: '9' }, maxRetries: 2, stdio: 'ignore' } });
      const l = make(s);
      const { name } = await l.launch({ runId: 'run-26', executionId: 'exec-26' });
      await s.waitForExecution(name);
      const o = ended(await l.observe('exec-26', name));
      expect(o.outcome).to.equal('failed');
      expect(o.reason).to.include('failed: 1 task failed after 2 retries');
    });
  });

  describe('spawn mode: the whole cloud topology on one machine', () => {
    it('runs the job locally with the Cloud Run task env and retries a failed attempt with CLOUD_RUN_TASK_ATTEMPT + 1', async () => {
      const s = await start({
        spawn: { entrypoint: FAKE_JOB, env: { FAKE_JOB_OUT: out, FAKE_JOB_PLAN: '5,0', STORE: 'local' }, maxRetries: 3, stdio: 'ignore' },
      });
      const result = await make(s).launch({ runId: 'run-10', executionId: 'exec-10' });
      const execution = await s.waitForExecution(result.name);
      expect(execution.status).to.equal('succeeded');
      expect(execution.attempts.map((a) => [a.attempt, a.code])).to.deep.equal([[0, 5], [1, 0]]);

      const lines = await readAttempts(out);
      expect(lines).to.have.length(2);
      const shortName = result.name.split('/').at(-1);
      for (const [i, line] of lines.entries()) {
        expect(line.env).to.deep.include({
          RUN_ID: 'run-10', EXECUTION_ID: 'exec-10', FAKE_JOB_OUT: out,
          CLOUD_RUN_JOB: JOB, CLOUD_RUN_EXECUTION: shortName,
          CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_ATTEMPT: String(i), CLOUD_RUN_TASK_COUNT: '1',
        });
        expect(line.argv).to.deep.equal([process.execPath, FAKE_JOB]);
      }
    });

    it('stops retrying after maxRetries and marks the execution failed', async () => {
      const s = await start({ spawn: { entrypoint: FAKE_JOB, env: { FAKE_JOB_OUT: out, FAKE_JOB_PLAN: '9' }, maxRetries: 1, stdio: 'ignore' } });
      const result = await make(s).launch({ runId: 'run-11', executionId: 'exec-11' });
      const execution = await s.waitForExecution(result.name);
      expect(execution.status).to.equal('failed');
      expect(execution.attempts).to.have.length(2);
    });

    it('cancels a running execution through the real ExecutionsClient, with no retry', async () => {
      const s = await start({ spawn: { entrypoint: FAKE_JOB, env: { FAKE_JOB_OUT: out, FAKE_JOB_PLAN: 'hang' }, maxRetries: 3, killGraceMs: 300, stdio: 'ignore' } });
      const result = await make(s).launch({ runId: 'run-12', executionId: 'exec-12' });
      const { privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      const executions = new ExecutionsClient({
        fallback: true, apiEndpoint: '127.0.0.1', port: s.port, protocol: 'http',
        authClient: new JWT({ email: `test@${PROJECT}.iam.gserviceaccount.com`, key: privateKey }),
      });
      try {
        const [op] = await executions.cancelExecution({ name: result.name });
        expect(op.metadata?.name).to.equal(result.name);
      } finally {
        await executions.close();
      }
      const execution = await s.waitForExecution(result.name);
      expect(execution.status).to.equal('cancelled');
      expect(execution.attempts).to.have.length(1);
      expect(s.requests.at(-1)?.path).to.equal(`/v2/${result.name}:cancel`);
    });
  });
});
