/**
 * Every error leaves the API as `{"error":{"code","message","details?"}}`,
 * mapped here and nowhere else. Whatever a client can cause is a 4xx that
 * names the field or parameter at fault; 5xx is kept for our own trouble
 * (503 when the store is unavailable, 500 for a bug, logged with its stack).
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ZodError } from 'zod';
import { DomainError } from '../shared/domain/decide.ts';
import { runVisibility } from '../shared/domain/run-checks.ts';
import type { RunState } from '../shared/domain/run-state.ts';
import { ensureError, type Logger } from '../shared/logger.ts';
import { StoreUnavailableError } from '../shared/store/blob-store.ts';
import { GenerationMismatchError } from '../shared/store/event-log.ts';
import { InvalidKeyError } from '../shared/store/keys.ts';

export interface ErrorDetail {
  /** The offending field (`params.horizonYear`), route parameter (`id`), query parameter (`limit`) or header. */
  field: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

/** Thrown by routes to answer with a given status; `expose` messages are safe to show. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, details?: ErrorDetail[], headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export const badRequest = (field: string, message: string): HttpError =>
  new HttpError(400, 'invalid_request', `${field}: ${message}`, [{ field, message }]);

export const notFound = (message: string, field?: string): HttpError =>
  new HttpError(404, 'not_found', message, field ? [{ field, message }] : undefined);

/** Who asks for a run: anyone holding its link (no key), or a key acting as its tenant. */
export type RunAsker = { by: 'link' } | { by: 'owner'; tenant: string };
export const BY_LINK: RunAsker = { by: 'link' };

/**
 * The one rule for answering about a run that cannot be shown. An unknown run
 * and another tenant's run are the same 404, so a key never learns that
 * someone else's run exists. A deleted run is 410 to readers by link; to its
 * owner's commands it is left to the Decider, which refuses it as not_found
 * (404) and says why ("run is deleted", "run is already deleted"). Returns
 * `run` when it may be shown (or acted on).
 */
export function requireVisibleRun<R extends { state: RunState }>(runId: string, run: R | null, asker: RunAsker): R {
  const seen = run ? runVisibility(run.state, asker.by === 'owner' ? asker.tenant : undefined) : 'unknown';
  if (seen === 'unknown' || !run) {
    const detail = asker.by === 'owner' ? 'no such run for this key' : 'no such run';
    throw new HttpError(404, 'not_found', `run ${runId} not found`, [{ field: 'id', message: detail }]);
  }
  if (seen === 'deleted' && asker.by === 'link') {
    throw new HttpError(410, 'gone', `run ${runId} was deleted`, [{ field: 'id', message: 'the run was deleted' }]);
  }
  return run;
}

/** Route parameter names as clients see them; the store names them after its keys. */
const PARAM_OF_KEY_FIELD: Record<string, string> = { runId: 'id', name: 'name', cursor: 'cursor' };

/** `a.b[2].c` from a zod path. */
export function fieldPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? 'body' : out;
}

/** Zod issues as details, one per offending field; unknown keys are named one by one. */
export function zodDetails(error: ZodError, prefix = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) details.push({ field: fieldPath([...issue.path, key], prefix), message: 'is not a known field' });
    } else {
      details.push({ field: fieldPath(issue.path, prefix), message: issue.message });
    }
  }
  return details;
}

export function validationError(details: ErrorDetail[]): HttpError {
  const summary = details.slice(0, 3).map((d) => `${d.field}: ${d.message}`).join('; ');
  return new HttpError(400, 'invalid_request', summary || 'invalid request', details);
}

interface BodyParserError {
  type?: unknown;
  status?: unknown;
  expose?: unknown;
}

/** What body-parser (and the URL decoder) throw: a 4xx with a `type`. */
function fromParserError(err: BodyParserError): HttpError | null {
  const status = typeof err.status === 'number' ? err.status : null;
  if (status === null || status < 400 || status >= 500) return null;
  switch (err.type) {
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', 'the request body is too large', [{ field: 'body', message: 'is too large' }]);
    case 'entity.parse.failed':
      return new HttpError(400, 'malformed_json', 'the request body is not valid JSON', [{ field: 'body', message: 'is not valid JSON' }]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_media_type', 'the request body must be UTF-8 JSON', [{ field: 'Content-Type', message: 'charset must be utf-8' }]);
    case 'entity.verify.failed':
      return new HttpError(400, 'invalid_request', 'the request body is not valid UTF-8', [{ field: 'body', message: 'is not valid UTF-8' }]);
    case 'request.aborted':
    case 'request.size.invalid':
      return new HttpError(400, 'invalid_request', 'the request body was incomplete', [{ field: 'body', message: 'is incomplete' }]);
    default: {
      // A path whose percent-encoding is broken (the router could not decode a parameter), a missing static file, …
      const message = String((err as { message?: unknown }).message ?? '');
      const segment = /^Failed to decode param '(.{0,200})'/.exec(message)?.[1];
      if (segment !== undefined) {
        return new HttpError(400, 'invalid_request', `path: "${segment}" is not valid percent-encoded UTF-8`, [{ field: 'path', message: `segment "${segment}" is not valid percent-encoded UTF-8` }]);
      }
      if (status === 404) return notFound('not found', 'path');
      return new HttpError(status, 'invalid_request', err.expose === true && message ? message.slice(0, 200) : 'the request is malformed', [{ field: 'path', message: 'is malformed' }]);
    }
  }
}

/** Maps any thrown value to the status, code and message a client sees. */
export function toHttpError(value: unknown): HttpError {
  if (value instanceof HttpError) return value;
  if (value instanceof DomainError) {
    if (value.code === 'not_found') return new HttpError(404, 'not_found', value.message);
    if (value.code === 'conflict') return new HttpError(409, 'conflict', value.message);
    return new HttpError(400, 'invalid_request', value.message);
  }
  if (value instanceof InvalidKeyError) {
    const field = PARAM_OF_KEY_FIELD[value.field] ?? value.field;
    return badRequest(field, value.message);
  }
  if (value instanceof GenerationMismatchError) {
    // Contention that outlasted every re-decide: the request did nothing; it may simply be sent again.
    return new HttpError(503, 'contention', 'the run changed too often to apply this request; try again', undefined, { 'Retry-After': '1' });
  }
  if (value instanceof StoreUnavailableError) {
    return new HttpError(503, 'unavailable', 'the run store is unavailable; try again shortly', undefined, { 'Retry-After': '5' });
  }
  if (typeof value === 'object' && value !== null) {
    const parsed = fromParserError(value as BodyParserError);
    if (parsed) return parsed;
  }
  return new HttpError(500, 'internal', 'internal error');
}

export function sendError(res: Parameters<RequestHandler>[1], err: HttpError): void {
  const body: ErrorBody = { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  // A page route may have set text/html before failing: the body is JSON, say so.
  res.status(err.status).type('application/json').json(body);
}

/** The one error middleware. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (value: unknown, req, res, _next) => {
    const err = toHttpError(value);
    if (err.status >= 500) {
      const e = ensureError(value);
      logger.error({ err: { name: e.name, message: e.message, stack: e.stack }, method: req.method, path: req.path }, 'request failed');
    }
    if (res.headersSent) {
      // A stream that broke half-way: nothing can be answered any more; cut it so the client sees it.
      res.destroy();
      return;
    }
    sendError(res, err);
  };
}

/** Unknown routes: JSON 404 (the run page answers its own HTML 404). */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendError(res, notFound(`no route for ${req.method} ${req.path.slice(0, 200)}`));
};
