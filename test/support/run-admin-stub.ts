/**
 * A stub of the Cloud Run Admin API v2 REST face that `@google-cloud/run`
 * speaks with `fallback: true` (GOOGLE-APIS.md): `jobs/*:run` answers a
 * real-shaped long-running operation whose metadata is the Execution, and
 * operations, executions (`GET /v2/projects/P/locations/L/jobs/J/executions/E`:
 * the Execution resource with its task counts and `Completed` condition) and
 * `:cancel` can be read back. Enums are numbers when the request asks for
 * `$alt=json;enum-encoding=int` (as the client always does), names otherwise.
 *
 * With `spawn`, every accepted run starts the job entrypoint as a local
 * process with the env Cloud Run gives a task (CLOUD_RUN_JOB, _EXECUTION,
 * _TASK_INDEX, _TASK_ATTEMPT, _TASK_COUNT plus the request's env overrides)
 * and retries the task like Cloud Run: the whole cloud topology on one machine.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { superviseTask, type AttemptRecord, type SupervisedTask, type TaskEnd } from '../../orchestrator/launchers/task-supervisor.ts';

/** An HTTP status to answer with (Google error shape), or `reset` to drop the connection. */
export type RunJobFault = number | 'reset';

export interface RunAdminStubOptions {
  project: string;
  location: string;
  job: string;
  /** Start each execution locally. `env` is the job's configured env (what `gcloud run jobs deploy --set-env-vars` would set). */
  spawn?: { entrypoint: string; env: Record<string, string>; maxRetries: number; killGraceMs?: number; stdio?: 'stderr' | 'ignore' };
  /** Answers for the next runJob / getExecution calls, in order (e.g. `[503, 429]`). More can be pushed later via `faults`. */
  faults?: { runJob?: RunJobFault[]; getExecution?: RunJobFault[] };
  /** Answer 401 when a request carries no well-formed `Authorization: Bearer <JWT>`. Default true, like the real API. */
  requireAuth?: boolean;
  port?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface StubExecution {
  /** projects/P/locations/L/jobs/J/executions/J-xxxxx */
  name: string;
  /** J-xxxxx, what the task sees as CLOUD_RUN_EXECUTION. */
  shortName: string;
  operation: string;
  uid: string;
  createTime: string;
  /** The request's `overrides.containerOverrides[0].env`, as a map. */
  envOverrides: Record<string, string>;
  timeoutSeconds: number | null;
  status: ExecutionStatus;
  startTime: string;
  completionTime: string | null;
  /** Set by completeExecution: retries to report, and the `Completed` condition's message. */
  retriedCount: number | null;
  message: string | null;
  /** Spawn mode only: one record per task attempt (pid, exit code, signal). */
  attempts: AttemptRecord[];
}

export type ExecutionStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunAdminStub {
  /** `http://127.0.0.1:PORT`, for CLOUD_RUN_API_ENDPOINT. */
  readonly url: string;
  readonly port: number;
  /** projects/P/locations/L/jobs/J */
  readonly jobName: string;
  readonly requests: RecordedRequest[];
  readonly executions: StubExecution[];
  readonly faults: { runJob: RunJobFault[]; getExecution: RunJobFault[] };
  /** Resolves when the execution (full or short name) has finished; spawn mode only. */
  waitForExecution(name: string): Promise<StubExecution>;
  /**
   * Marks an execution finished (non-spawn mode), so its operation reports
   * done and getExecution shows it ended: `failed` after `retriedCount` task
   * retries (default 0), `cancelled`, or `succeeded`; `message` replaces the
   * `Completed` condition's default message.
   */
  completeExecution(name: string, status: Exclude<ExecutionStatus, 'running'>, detail?: { retriedCount?: number; message?: string }): void;
  /** Kills running tasks and closes the server. */
  stop(): Promise<void>;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS', 412: 'FAILED_PRECONDITION', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } });
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A bearer token shaped like a JWT whose payload names an issuer. Signatures are not checked. */
function hasBearerJwt(headers: IncomingHttpHeaders): boolean {
  const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(headers.authorization ?? '');
  if (!m?.[2]) return false;
  try {
    const payload = JSON.parse(Buffer.from(m[2], 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof payload['iss'] === 'string';
  } catch {
    return false;
  }
}

/** Five lowercase alphanumerics, like the suffix Cloud Run gives an execution name. */
function shortSuffix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads `overrides` of a RunJobRequest body (proto3 JSON). */
function parseOverrides(body: unknown): { env: Record<string, string>; args: string[] | null; timeoutSeconds: number | null } {
  const env: Record<string, string> = {};
  let args: string[] | null = null;
  let timeoutSeconds: number | null = null;
  const overrides = isRecord(body) ? body['overrides'] : undefined;
  if (isRecord(overrides)) {
    const containers = overrides['containerOverrides'];
    const first: unknown = Array.isArray(containers) ? containers[0] : undefined;
    if (isRecord(first)) {
      const vars = first['env'];
      if (Array.isArray(vars)) {
        for (const v of vars) if (isRecord(v) && typeof v['name'] === 'string') env[v['name']] = typeof v['value'] === 'string' ? v['value'] : '';
      }
      const a = first['args'];
      if (Array.isArray(a) && a.length > 0) args = a.map(String);
    }
    const t = overrides['timeout'];
    const m = typeof t === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(t) : null;
    if (m?.[1]) timeoutSeconds = Number(m[1]);
  }
  return { env, args, timeoutSeconds };
}

/** Condition.State, Condition.Severity and Condition.ExecutionReason (condition.proto): name → number. */
const CONDITION_STATE = { CONDITION_RECONCILING: 2, CONDITION_FAILED: 3, CONDITION_SUCCEEDED: 4 } as const;
const SEVERITY = { ERROR: 1, INFO: 3 } as const;
const EXECUTION_REASON = { NON_ZERO_EXIT_CODE: 2, CANCELLED: 3 } as const;

/** An execution's conditions as Cloud Run reports them: ResourcesAvailable, Started, then Completed. */
function conditionsOf(e: StubExecution, retriedCount: number, intEnums: boolean): Record<string, unknown>[] {
  const state = (s: keyof typeof CONDITION_STATE) => (intEnums ? CONDITION_STATE[s] : s);
  const severity = (s: keyof typeof SEVERITY) => (intEnums ? SEVERITY[s] : s);
  const reason = (r: keyof typeof EXECUTION_REASON) => (intEnums ? EXECUTION_REASON[r] : r);
  const started = e.attempts[0]?.startedAt.toISOString() ?? e.startTime;
  const at = e.completionTime ?? started;
  const retries = `${retriedCount} ${retriedCount === 1 ? 'retry' : 'retries'}`;
  const completed = {
    running: { state: state('CONDITION_RECONCILING'), message: 'Execution is running.' },
    succeeded: { state: state('CONDITION_SUCCEEDED'), message: e.message ?? `Execution ${e.shortName} has completed successfully.` },
    failed: {
      state: state('CONDITION_FAILED'), severity: severity('ERROR'), executionReason: reason('NON_ZERO_EXIT_CODE'),
      message: e.message ?? `Task ${e.shortName}-task0 failed with message: The container exited with an error. The configured number of retries (${retries}) was reached.`,
    },
    cancelled: { state: state('CONDITION_FAILED'), severity: severity('INFO'), executionReason: reason('CANCELLED'), message: e.message ?? 'The execution was cancelled.' },
  }[e.status];
  return [
    { type: 'ResourcesAvailable', state: state('CONDITION_SUCCEEDED'), lastTransitionTime: e.createTime },
    { type: 'Started', state: state('CONDITION_SUCCEEDED'), lastTransitionTime: started },
    { type: 'Completed', ...completed, lastTransitionTime: at },
  ];
}

/** The Execution resource as the Run Admin API v2 answers it (proto3 JSON; int64 as strings). */
function executionResource(e: StubExecution, project: string, job: string, intEnums: boolean): Record<string, unknown> {
  const retriedCount = e.retriedCount ?? Math.max(0, e.attempts.length - 1);
  const ended = e.status !== 'running';
  return {
    '@type': 'type.googleapis.com/google.cloud.run.v2.Execution',
    name: e.name,
    uid: e.uid,
    generation: '1',
    createTime: e.createTime,
    startTime: e.attempts[0]?.startedAt.toISOString() ?? e.startTime,
    ...(e.completionTime ? { completionTime: e.completionTime } : {}),
    updateTime: e.completionTime ?? e.startTime,
    launchStage: intEnums ? 4 : 'GA',
    job,
    parallelism: 1,
    taskCount: 1,
    reconciling: !ended,
    conditions: conditionsOf(e, retriedCount, intEnums),
    observedGeneration: '1',
    runningCount: ended ? 0 : 1,
    succeededCount: e.status === 'succeeded' ? 1 : 0,
    failedCount: e.status === 'failed' ? 1 : 0,
    cancelledCount: e.status === 'cancelled' ? 1 : 0,
    retriedCount,
    logUri: `https://console.cloud.google.com/logs/viewer?project=${project}&advancedFilter=resource.type%3D%22cloud_run_job%22%0Alabels.%22run.googleapis.com/execution_name%22%3D%22${e.shortName}%22`,
    etag: `"${e.uid}/${e.status}"`,
  };
}

/** A new running execution of `jobName` for a RunJobRequest body. */
function newExecution(jobName: string, body: unknown): { e: StubExecution; args: string[] | null } {
  const { env, args, timeoutSeconds } = parseOverrides(body);
  const parent = jobName.split('/jobs/')[0] ?? '';
  const shortName = `${jobName.split('/').at(-1)}-${shortSuffix()}`;
  const now = new Date().toISOString();
  const e: StubExecution = {
    name: `${jobName}/executions/${shortName}`, shortName, operation: `${parent}/operations/${randomUUID()}`, uid: randomUUID(),
    createTime: now, envOverrides: env, timeoutSeconds, status: 'running', startTime: now, completionTime: null,
    retriedCount: null, message: null, attempts: [],
  };
  return { e, args };
}

/** Runs an execution's task locally, retried like Cloud Run retries it. */
function spawnTask(e: StubExecution, job: string, spawnOpts: NonNullable<RunAdminStubOptions['spawn']>, args: string[] | null): SupervisedTask {
  return superviseTask({
    command: process.execPath,
    args: [spawnOpts.entrypoint, ...(args ?? [])],
    envFor: (attempt) => ({
      ...spawnOpts.env,
      ...e.envOverrides,
      CLOUD_RUN_JOB: job,
      CLOUD_RUN_EXECUTION: e.shortName,
      CLOUD_RUN_TASK_INDEX: '0',
      CLOUD_RUN_TASK_ATTEMPT: String(attempt),
      CLOUD_RUN_TASK_COUNT: '1',
    }),
    maxRetries: spawnOpts.maxRetries,
    stdio: spawnOpts.stdio ?? 'stderr',
    ...(e.timeoutSeconds !== null ? { attemptTimeoutMs: e.timeoutSeconds * 1000 } : {}),
    killGraceMs: spawnOpts.killGraceMs ?? 10_000,
  }, {
    onAttemptStart: (r) => { e.attempts.push(r); },
  });
}

/** Answers an injected fault, if one is queued; true when it did. */
function answerFault(req: IncomingMessage, res: ServerResponse, fault: RunJobFault | undefined): boolean {
  if (fault === undefined) return false;
  if (fault === 'reset') req.socket.destroy();
  else sendError(res, fault, fault === 429 ? 'Quota exceeded for quota metric \'Job run requests\'.' : 'The service is currently unavailable.');
  return true;
}

export async function startRunAdminStub(options: RunAdminStubOptions): Promise<RunAdminStub> {
  const { project, location, job } = options;
  const parent = `projects/${project}/locations/${location}`;
  const jobName = `${parent}/jobs/${job}`;
  const requireAuth = options.requireAuth ?? true;
  const requests: RecordedRequest[] = [];
  const executions: StubExecution[] = [];
  const faults = { runJob: [...(options.faults?.runJob ?? [])], getExecution: [...(options.faults?.getExecution ?? [])] };
  const tasks = new Map<string, SupervisedTask>();
  const finished = new Map<string, Promise<StubExecution>>();

  const resource = (e: StubExecution, intEnums: boolean) => executionResource(e, project, job, intEnums);
  const operationResource = (e: StubExecution, intEnums: boolean): Record<string, unknown> => {
    const done = e.status !== 'running';
    return { name: e.operation, metadata: resource(e, intEnums), done, ...(done ? { response: resource(e, intEnums) } : {}) };
  };

  const startTask = (e: StubExecution, args: string[] | null): void => {
    if (!options.spawn) return;
    const task = spawnTask(e, job, options.spawn, args);
    tasks.set(e.name, task);
    finished.set(e.name, task.done.then((end: TaskEnd) => {
      settle(e, end.outcome === 'succeeded' ? 'succeeded' : end.outcome === 'failed' ? 'failed' : 'cancelled');
      tasks.delete(e.name);
      return e;
    }));
  };

  const findExecution = (name: string): StubExecution | undefined =>
    executions.find((e) => e.name === name || e.shortName === name);

  const settle = (e: StubExecution, status: ExecutionStatus, detail: { retriedCount?: number; message?: string } = {}): void => {
    if (e.status !== 'running') return;
    e.status = status;
    e.completionTime = new Date().toISOString();
    if (detail.retriedCount !== undefined) e.retriedCount = detail.retriedCount;
    if (detail.message !== undefined) e.message = detail.message;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const intEnums = (url.searchParams.get('$alt') ?? '').includes('enum-encoding=int');
    requests.push({ method, path, query: Object.fromEntries(url.searchParams), headers: req.headers, body });

    if (requireAuth && !hasBearerJwt(req.headers)) {
      return sendError(res, 401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    }

    const run = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/:]+):run$/.exec(path);
    if (run?.[1] && method === 'POST') {
      if (run[1] !== jobName) return sendError(res, 404, `Resource '${run[1]}' was not found`);
      if (answerFault(req, res, faults.runJob.shift())) return;
      const { e, args } = newExecution(jobName, body);
      executions.push(e);
      startTask(e, args);
      return sendJson(res, 200, operationResource(e, intEnums));
    }

    const op = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/operations\/[^/]+)$/.exec(path);
    if (op?.[1] && method === 'GET') {
      const e = executions.find((x) => x.operation === op[1]);
      return e ? sendJson(res, 200, operationResource(e, intEnums)) : sendError(res, 404, `Operation '${op[1]}' was not found`);
    }

    const cancel = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/]+\/executions\/[^/:]+):cancel$/.exec(path);
    if (cancel?.[1] && method === 'POST') {
      const e = findExecution(cancel[1]);
      if (!e) return sendError(res, 404, `Resource '${cancel[1]}' was not found`);
      const task = tasks.get(e.name);
      if (task) void task.stop(options.spawn?.killGraceMs ?? 10_000);
      else settle(e, 'cancelled');
      return sendJson(res, 200, { name: `${parent}/operations/${randomUUID()}`, metadata: resource(e, intEnums), done: false });
    }

    const get = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/]+\/executions\/[^/:]+)$/.exec(path);
    if (get?.[1] && method === 'GET') {
      if (answerFault(req, res, faults.getExecution.shift())) return;
      const e = findExecution(get[1]);
      if (!e) return sendError(res, 404, `Resource '${get[1]}' was not found`);
      const { '@type': _type, ...execution } = resource(e, intEnums);
      return sendJson(res, 200, execution);
    }

    return sendError(res, 404, `Method not found: ${method} ${path}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, `stub error: ${String(err)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    jobName,
    requests,
    executions,
    faults,
    waitForExecution: async (name) => {
      const e = findExecution(name);
      if (!e) throw new RangeError(`unknown execution: ${name}`);
      const p = finished.get(e.name);
      if (!p) throw new RangeError(`execution ${name} was not spawned (start the stub with spawn)`);
      return p;
    },
    completeExecution: (name, status, detail) => {
      const e = findExecution(name);
      if (!e) throw new RangeError(`unknown execution: ${name}`);
      settle(e, status, detail);
    },
    stop: async () => {
      await Promise.all([...tasks.values()].map((t) => t.stop(2_000)));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
