/**
 * A small client of the orchestrator's HTTP API (DESIGN §7) for the CLI, the
 * demo and verify-cloudrun. The key goes only on the routes that need one
 * (build, listing, operations); reads of a run are public and carry none.
 * Every refusal becomes an `ApiError` whose message is the API's own:
 * `409 conflict: node "charter" is succeeded; …`.
 */
import type { BuildParams } from '../../shared/domain/params.ts';
import type { RunState, RunStatus } from '../../shared/domain/run-state.ts';
import type { RunLinks } from '../../orchestrator/links.ts';
import type { RunSummary } from '../../orchestrator/runs/run-reader.ts';

/** Thrown when the API answers with an error status; the message carries status, code and the API's message. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly apiMessage: string;
  readonly details: { field: string; message: string }[];
  constructor(status: number, code: string, apiMessage: string, details: { field: string; message: string }[] = []) {
    super(`${status} ${code}: ${apiMessage}`);
    this.status = status;
    this.code = code;
    this.apiMessage = apiMessage;
    this.details = details;
  }

  /** The error as the API sent it, for `--json` output. */
  toJSON(): { error: { status: number; code: string; message: string; details?: { field: string; message: string }[] } } {
    return { error: { status: this.status, code: this.code, message: this.apiMessage, ...(this.details.length > 0 ? { details: this.details } : {}) } };
  }
}

/** Thrown before a keyed request when no key was given: nothing was sent. */
export class MissingKeyError extends Error {
  override readonly name = 'MissingKeyError';
}

/** Thrown when the orchestrator cannot be reached at all (refused, DNS, timeout). */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

/** The links every run reply carries, as the orchestrator writes them. */
export type { RunLinks };

export interface BuildBody {
  params: BuildParams;
  label?: string;
  force?: boolean;
}

export interface BuildReply {
  runId: string;
  status: RunStatus;
  reused: boolean;
  links: RunLinks;
  warnings?: string[];
}

export interface ExecutionReply {
  runId: string;
  status: RunStatus;
  executionId: string;
  links: RunLinks;
  warnings?: string[];
}

export interface CancelReply {
  runId: string;
  status: RunStatus;
  cancelRequested: boolean;
  links: RunLinks;
}

export interface DeleteReply {
  runId: string;
  deleted: boolean;
}

/** One row of `GET /runs`, as the orchestrator writes it. */
export type { RunSummary };

export interface RunPage {
  runs: RunSummary[];
  nextCursor: string | null;
}

export interface Health {
  status: string;
  storage_backend: string;
  job_backend: string;
  /** With job_backend local: `process` or `worker`. */
  local_job_mode?: string;
  pubsub: string;
  llm_provider: string;
  api_key_source: string;
  version: string;
  pipeline_version: string;
  [field: string]: unknown;
}

export interface RawReply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface RequestOptions {
  /** Send the key (keyed routes only). */
  auth?: boolean;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface ApiClient {
  readonly url: string;
  /** Any request; never throws on an HTTP status (only when the server cannot be reached). */
  request(method: string, pathOrUrl: string, options?: RequestOptions): Promise<RawReply>;
  health(): Promise<Health>;
  build(body: BuildBody): Promise<BuildReply>;
  listRuns(query?: { status?: string | undefined; limit?: number | undefined; cursor?: string | undefined }): Promise<RunPage>;
  runJson(runId: string): Promise<RunState>;
  retry(runId: string, node: string): Promise<ExecutionReply>;
  resume(runId: string): Promise<ExecutionReply>;
  cancel(runId: string): Promise<CancelReply>;
  remove(runId: string): Promise<DeleteReply>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The API's error body as an ApiError (or a generic one for a proxy's page). */
export function toApiError(reply: RawReply): ApiError {
  const body = reply.json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null;
  const e = body?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    const details = Array.isArray(e.details)
      ? e.details.filter((d): d is { field: string; message: string } => typeof d?.field === 'string' && typeof d?.message === 'string')
      : [];
    return new ApiError(reply.status, e.code, e.message, details);
  }
  const text = reply.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new ApiError(reply.status, 'http_error', text === '' ? 'the server answered with no body' : text);
}

function describeCause(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'timed out';
    const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
    if (typeof cause?.code === 'string') return cause.code;
    if (typeof cause?.message === 'string') return cause.message;
    return err.message;
  }
  return String(err);
}

const segment = (value: string): string => encodeURIComponent(value);

export function getApiClient(options: { url: string; key?: string | undefined }): ApiClient {
  const base = options.url.replace(/\/+$/, '');
  const key = options.key;

  const request: ApiClient['request'] = async (method, pathOrUrl, opts = {}) => {
    const target = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${base}${pathOrUrl}`;
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
    if (opts.auth) {
      if (key === undefined) throw new MissingKeyError('no API key: pass --key or set SCENARIOFORGE_API_KEY');
      headers['x-api-key'] = key;
    }
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(target, { method, headers, signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS), ...(body !== undefined ? { body } : {}) });
    } catch (err) {
      throw new ConnectionError(`cannot reach ${new URL(target).origin}: ${describeCause(err)}`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new ConnectionError(`${method} ${new URL(target).pathname}: the response was cut off (${describeCause(err)})`);
    }
    let json: unknown = null;
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    return { status: res.status, headers: res.headers, text, json };
  };

  /** A request whose 2xx answer is JSON of type T; anything else throws. */
  const expectJson = async <T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> => {
    const reply = await request(method, path, opts);
    if (reply.status < 200 || reply.status >= 300) throw toApiError(reply);
    if (reply.json === null) throw new ApiError(reply.status, 'bad_response', `${method} ${path} did not answer JSON`);
    return reply.json as T;
  };

  return {
    url: base,
    request,
    health: () => expectJson<Health>('GET', '/health'),
    build: (body) => expectJson<BuildReply>('POST', '/build', { auth: true, body }),
    listRuns: (query = {}) => {
      const q = new URLSearchParams();
      if (query.status) q.set('status', query.status);
      if (query.limit !== undefined) q.set('limit', String(query.limit));
      if (query.cursor) q.set('cursor', query.cursor);
      const qs = q.toString();
      return expectJson<RunPage>('GET', `/runs${qs ? `?${qs}` : ''}`, { auth: true });
    },
    runJson: (runId) => expectJson<RunState>('GET', `/runs/${segment(runId)}/run.json`),
    retry: (runId, node) => expectJson<ExecutionReply>('POST', `/runs/${segment(runId)}/nodes/${segment(node)}/retry`, { auth: true }),
    resume: (runId) => expectJson<ExecutionReply>('POST', `/runs/${segment(runId)}/resume`, { auth: true }),
    cancel: (runId) => expectJson<CancelReply>('POST', `/runs/${segment(runId)}/cancel`, { auth: true }),
    remove: (runId) => expectJson<DeleteReply>('DELETE', `/runs/${segment(runId)}`, { auth: true }),
  };
}
