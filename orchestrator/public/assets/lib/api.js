/**
 * The HTTP client of the pages. Two kinds of call, kept apart on purpose:
 * - reads of a run (run.json, events, artifacts) are public and NEVER carry
 *   the operator's key, so a judge's view and an operator's view of a run are
 *   the same requests;
 * - operator calls (mutations and the tenant's run listing) carry the key in
 *   `X-Api-Key`.
 * Errors come back as ApiError with the API's `{error: {code, message, details}}`.
 */
import { getKey } from './key-store.js';

/** Thrown when the API answers an error (or cannot be reached); `details` lists field-level problems. */
export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = Array.isArray(details) ? details : [];
  }
}

async function errorFrom(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: fall back to the status line
  }
  const e = body && typeof body === 'object' ? body.error : null;
  if (e && typeof e === 'object') {
    return new ApiError(res.status, String(e.code ?? 'error'), String(e.message ?? res.statusText), e.details);
  }
  return new ApiError(res.status, `http_${res.status}`, `${res.status} ${res.statusText || 'request failed'}`);
}

const READ_RETRY_DELAYS_MS = [250, 1000];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * fetch, mapping a network failure to ApiError. A read (GET) that failed on
 * the network — a dropped keep-alive connection, a restarting server — is
 * tried again a couple of times; a mutation never is (it may have happened).
 */
async function send(url, init) {
  const retries = (init?.method ?? 'GET') === 'GET' ? READ_RETRY_DELAYS_MS : [];
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url, { credentials: 'same-origin', ...init });
    } catch (err) {
      if (attempt < retries.length) {
        await sleep(retries[attempt]);
        continue;
      }
      throw new ApiError(0, 'network', `Could not reach the server (${err instanceof Error ? err.message : String(err)})`);
    }
  }
}

/** Public base of one run's routes. */
export function runPath(runId, suffix = '') {
  return `/runs/${encodeURIComponent(runId)}${suffix}`;
}

export function artifactUrl(runId, name) {
  return runPath(runId, `/artifacts/${encodeURIComponent(name)}`);
}

/**
 * GET run.json, revalidating with the last ETag. Resolves to
 * `{ notModified: true }` on 304, else `{ run, etag }`.
 */
export async function fetchRun(runId, etag) {
  const headers = { Accept: 'application/json' };
  if (etag) headers['If-None-Match'] = etag;
  const res = await send(runPath(runId, '/run.json'), { headers, cache: 'no-cache' });
  if (res.status === 304) return { notModified: true };
  if (!res.ok) throw await errorFrom(res);
  return { run: await res.json(), etag: res.headers.get('ETag') };
}

/** GET the events after `afterSeq` as parsed JSONL (a torn last line is skipped). */
export async function fetchEvents(runId, afterSeq = 0) {
  const res = await send(runPath(runId, `/events?after=${afterSeq}`), { headers: { Accept: 'application/x-ndjson, application/json' }, cache: 'no-store' });
  if (!res.ok) throw await errorFrom(res);
  const text = await res.text();
  const events = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      break; // a partial line can only be the last one
    }
  }
  return events;
}

export async function fetchArtifactText(runId, name) {
  const res = await send(artifactUrl(runId, name), { cache: 'no-cache' });
  if (!res.ok) throw await errorFrom(res);
  return res.text();
}

export async function fetchArtifactJson(runId, name) {
  return JSON.parse(await fetchArtifactText(runId, name));
}

/** A call that needs the operator's key. Throws ApiError 401 without one, before any request. */
export async function operatorCall(method, url, body) {
  const key = getKey();
  if (!key) throw new ApiError(401, 'no_key', 'Enter an API key to do this.');
  const headers = { Accept: 'application/json', 'X-Api-Key': key };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await send(url, init);
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return { status: 204, body: null };
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export const operator = {
  listRuns: ({ limit = 20, cursor = null, status = '' } = {}) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    if (status) q.set('status', status);
    return operatorCall('GET', `/runs?${q}`);
  },
  build: (request) => operatorCall('POST', '/build', request),
  retryNode: (runId, node) => operatorCall('POST', runPath(runId, `/nodes/${encodeURIComponent(node)}/retry`)),
  resume: (runId) => operatorCall('POST', runPath(runId, '/resume')),
  cancel: (runId) => operatorCall('POST', runPath(runId, '/cancel')),
  remove: (runId) => operatorCall('DELETE', runPath(runId)),
};
