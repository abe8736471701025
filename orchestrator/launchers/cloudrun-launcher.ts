/**
 * The Cloud Run JobLauncher: `@google-cloud/run` `JobsClient.runJob` with
 * `RUN_ID` and `EXECUTION_ID` as container env overrides (DESIGN.md §5).
 *
 * Transport: always the REST fallback (`fallback: true`), so production
 * speaks the same wire the tests check against the Run Admin stub.
 *
 * Auth:
 * - production (no endpoint, or an https one): Application Default Credentials.
 * - an `http:` endpoint (a local stub; a real token must never cross plaintext):
 *   a service-account JWT client holding a freshly generated RSA key. JobsClient
 *   marks its auth client `useJWTAccessWithScope` with the default service
 *   path, so the client signs its own JWT (aud `https://run.googleapis.com/`)
 *   and makes no token request: it works offline. gax 6's REST transport calls
 *   `authClient.fetch()`, so a bare `{ getRequestHeaders }` object is not enough.
 *
 * The launch resolves with the execution name read from the operation's
 * metadata as soon as runJob answers; it never awaits `op.promise()` (the
 * operation only completes when the execution finishes).
 *
 * `observe` reads the execution back (`ExecutionsClient.getExecution`) and
 * maps its `Completed` condition and task counts to running / ended.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { ExecutionsClient, JobsClient } from '@google-cloud/run';
import { JWT } from 'google-auth-library';
import { notFoundObservation, observationOfExecution } from './cloudrun-execution.ts';
import {
  LaunchError, silentLogger,
  type ExecutionObservation, type JobLauncher, type LaunchRequest, type LaunchResult, type LauncherLogger,
} from './job-launcher.ts';

export interface CloudRunLauncherOptions {
  /** Full job name, `projects/P/locations/L/jobs/J` (CLOUD_RUN_JOB). */
  jobName: string;
  /** The Run Admin API, e.g. `http://127.0.0.1:8089` (CLOUD_RUN_API_ENDPOINT). Default: run.googleapis.com. */
  apiEndpoint?: string;
  /** `offline` = self-signed JWT, no token request. Default: offline for an http endpoint, ADC otherwise. */
  credentials?: 'default' | 'offline';
  /**
   * Extra env overrides for the container. They are visible in the execution's
   * configuration, so never put a secret here (use Secret Manager on the job).
   * RUN_ID and EXECUTION_ID always come from the launch request.
   */
  env?: Record<string, string>;
  /** Task timeout override per attempt, 1 s – 168 h. Default: the job's own setting. */
  timeoutSeconds?: number;
  /** Deadline for each runJob / getExecution call; default 30 000 ms. */
  callTimeoutMs?: number;
  logger?: LauncherLogger;
}

export interface CloudRunLauncher extends JobLauncher {
  readonly backend: 'cloudrun';
  readonly jobName: string;
}

const JOB_NAME = /^projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/]+$/;
const EXECUTION_NAME = /^projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/]+\/executions\/[^/]+$/;
const MAX_TIMEOUT_SECONDS = 168 * 3600;

const GRPC_CODE_NAMES: Record<number, string> = {
  1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS', 7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION',
  10: 'ABORTED', 11: 'OUT_OF_RANGE', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE',
  15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};
const RETRYABLE_GRPC = new Set(['DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED', 'INTERNAL', 'UNAVAILABLE']);
const RETRYABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

/** Removes anything that could be a credential from text bound for an error message. */
export function redactCredentials(text: string): string {
  return text
    .replace(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g, '[redacted key]')
    .replace(/\b(Bearer|Basic)\s+[\w.~+/=-]+/gi, '$1 [redacted]')
    .replace(/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, '[redacted jwt]')
    .replace(/\bya29\.[\w.-]+/g, '[redacted token]')
    .replace(/([?&](?:key|access_token|token)=)[^&\s]+/gi, '$1[redacted]')
    .slice(0, 500);
}

/**
 * Maps whatever `runJob` threw to a {@link LaunchError}: HTTP 408/429/5xx, the
 * gRPC codes they map to, and connection failures are retryable; every other
 * 4xx is not. Only the status and the server's message are kept.
 */
export function toLaunchError(err: unknown, jobName: string): LaunchError {
  if (err instanceof LaunchError) return err;
  const { httpStatus, code, retryable, text } = clientErrorOf(err);
  return new LaunchError(`Cloud Run runJob ${jobName} failed: ${text}`, {
    retryable, code, ...(httpStatus !== undefined ? { httpStatus } : {}),
  });
}

/** What a client call's error says, credentials removed: `text` is "CODE (HTTP n): server message". */
function clientErrorOf(err: unknown): { httpStatus: number | undefined; code: string; retryable: boolean; text: string } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; httpStatusCode?: unknown; message?: unknown };
  const httpStatus = typeof e.httpStatusCode === 'number' ? e.httpStatusCode : undefined;
  const grpcName = typeof e.code === 'number' ? GRPC_CODE_NAMES[e.code] : undefined;
  const errno = typeof e.code === 'string' ? e.code : undefined;
  const serverMessage = redactCredentials(typeof e.message === 'string' ? e.message : String(err));

  let retryable: boolean;
  if (httpStatus !== undefined) retryable = httpStatus === 408 || httpStatus === 429 || httpStatus >= 500;
  else if (grpcName !== undefined) retryable = RETRYABLE_GRPC.has(grpcName);
  else retryable = errno !== undefined && RETRYABLE_ERRNO.has(errno);

  const code = grpcName ?? errno ?? 'UNKNOWN';
  const status = httpStatus !== undefined ? ` (HTTP ${httpStatus})` : '';
  return { httpStatus, code, retryable, text: `${code}${status}: ${serverMessage}` };
}

interface Endpoint { host: string; port: number; protocol: 'http' | 'https' }

function parseEndpoint(raw: string): Endpoint {
  const url = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `https://${raw}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`CLOUD_RUN_API_ENDPOINT must be http(s), got ${raw}`);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  const port = url.port !== '' ? Number(url.port) : protocol === 'http' ? 80 : 443;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port, protocol };
}

/** A service-account JWT client with a throwaway key: it self-signs and never asks for a token. */
async function offlineAuthClient(jobName: string): Promise<JWT> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const project = jobName.split('/')[1] ?? 'local';
  return new JWT({ email: `scenarioforge-offline@${project}.iam.gserviceaccount.com`, key: privateKey });
}

export function getCloudRunLauncher(options: CloudRunLauncherOptions): CloudRunLauncher {
  const { jobName } = options;
  if (!JOB_NAME.test(jobName)) throw new RangeError(`CLOUD_RUN_JOB must be projects/P/locations/L/jobs/J, got ${jobName}`);
  const timeoutSeconds = options.timeoutSeconds;
  if (timeoutSeconds !== undefined && !(Number.isInteger(timeoutSeconds) && timeoutSeconds >= 1 && timeoutSeconds <= MAX_TIMEOUT_SECONDS)) {
    throw new RangeError(`timeoutSeconds must be an integer 1–${MAX_TIMEOUT_SECONDS}, got ${timeoutSeconds}`);
  }
  const endpoint = options.apiEndpoint ? parseEndpoint(options.apiEndpoint) : null;
  const credentials = options.credentials ?? (endpoint?.protocol === 'http' ? 'offline' : 'default');
  const logger = options.logger ?? silentLogger;
  const callTimeoutMs = options.callTimeoutMs ?? 30_000;
  const extraEnv = Object.entries(options.env ?? {})
    .filter(([name]) => name !== 'RUN_ID' && name !== 'EXECUTION_ID')
    .map(([name, value]) => ({ name, value }));

  let settingsPromise: Promise<ConstructorParameters<typeof JobsClient>[0]> | null = null;
  let jobsPromise: Promise<JobsClient> | null = null;
  let executionsPromise: Promise<ExecutionsClient> | null = null;
  let closed = false;

  // Built on first use: key generation is async, and a launcher that never launches (or observes) costs nothing.
  const settings = () => {
    settingsPromise ??= (async () => {
      const authClient = credentials === 'offline' ? await offlineAuthClient(jobName) : undefined;
      return {
        fallback: true,
        ...(endpoint ? { apiEndpoint: endpoint.host, port: endpoint.port, protocol: endpoint.protocol } : {}),
        ...(authClient ? { authClient } : {}),
      };
    })();
    return settingsPromise;
  };
  const jobsClient = (): Promise<JobsClient> => (jobsPromise ??= settings().then((o) => new JobsClient(o)));
  const executionsClient = (): Promise<ExecutionsClient> => (executionsPromise ??= settings().then((o) => new ExecutionsClient(o)));

  const launch = async (req: LaunchRequest): Promise<LaunchResult> => {
    if (closed) throw new LaunchError('Cloud Run launcher is closed', { retryable: false, code: 'closed' });
    if (!req.runId || !req.executionId) throw new LaunchError('runId and executionId are required', { retryable: false, code: 'INVALID_ARGUMENT' });
    const fields = { runId: req.runId, executionId: req.executionId, job: jobName };
    let operation;
    try {
      const client = await jobsClient();
      [operation] = await client.runJob({
        name: jobName,
        overrides: {
          containerOverrides: [{ env: [{ name: 'RUN_ID', value: req.runId }, { name: 'EXECUTION_ID', value: req.executionId }, ...extraEnv] }],
          taskCount: 1,
          ...(timeoutSeconds !== undefined ? { timeout: { seconds: timeoutSeconds } } : {}),
        },
      }, { timeout: callTimeoutMs });
    } catch (err) {
      const launchError = toLaunchError(err, jobName);
      logger.warn({ ...fields, code: launchError.code, httpStatus: launchError.httpStatus, retryable: launchError.retryable }, launchError.message);
      throw launchError;
    }
    // The metadata is the Execution; its name is known as soon as the run is accepted.
    const executionName = operation.metadata?.name;
    if (executionName) {
      logger.info({ ...fields, execution: executionName, operation: operation.name }, 'Cloud Run execution started');
      return { backend: 'cloudrun', name: executionName };
    }
    // Accepted but unnamed: report the operation rather than fail a launch that happened.
    if (operation.name) {
      logger.warn({ ...fields, operation: operation.name }, 'runJob answered without an execution name; reporting the operation');
      return { backend: 'cloudrun', name: operation.name };
    }
    throw new LaunchError(`Cloud Run runJob ${jobName} answered without an execution or operation name`, { retryable: false, code: 'MALFORMED_RESPONSE' });
  };

  const observe = async (executionId: string, platformExecution?: string): Promise<ExecutionObservation> => {
    if (closed) return { state: 'unknown', reason: 'the Cloud Run launcher is closed' };
    if (!platformExecution || !EXECUTION_NAME.test(platformExecution)) {
      return { state: 'unknown', reason: `no Cloud Run execution name is recorded for execution ${executionId}` };
    }
    try {
      const client = await executionsClient();
      const [execution] = await client.getExecution({ name: platformExecution }, { timeout: callTimeoutMs });
      return observationOfExecution(execution);
    } catch (err) {
      const e = clientErrorOf(err);
      if (e.httpStatus === 404 || (e.httpStatus === undefined && e.code === 'NOT_FOUND')) return notFoundObservation(platformExecution);
      logger.warn({ executionId, execution: platformExecution, code: e.code, httpStatus: e.httpStatus }, 'could not read the Cloud Run execution');
      return { state: 'unknown', reason: `could not read Cloud Run execution ${platformExecution}: ${e.text}` };
    }
  };

  return {
    backend: 'cloudrun',
    jobName,
    launch,
    observe,
    close: async () => {
      if (closed) return;
      closed = true;
      const clients = await Promise.all([jobsPromise, executionsPromise].map((p) => p?.catch(() => null)));
      await Promise.all(clients.map((c) => c?.close()));
    },
  };
}
