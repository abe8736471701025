/**
 * The soak's HTTP client: every request the load makes goes through `request`,
 * which records its route and status (a histogram), keeps every 5xx or
 * unanswered request for the checker, and scans every answer — headers and
 * body — for the secret that must never be served.
 */
import type { FailedRequest } from './types.ts';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export interface HttpLog {
  readonly base: string;
  /** Requests sent (answered or not). */
  readonly total: number;
  /** `METHOD route` → status → count (status 0: no answer). */
  readonly histogram: Map<string, Map<number, number>>;
  readonly failed: FailedRequest[];
  /** Answers that came (2xx/3xx/4xx) but break a promise: an ETag that does not name lastSeq, a JSONL log with a gap… */
  readonly bad: FailedRequest[];
  /** Places the secret was found in an answer. */
  readonly leaks: string[];
  request(method: string, path: string, route: string, options?: { key?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number }): Promise<HttpAnswer | null>;
  /** Records an answer obtained elsewhere (an SSE stream). */
  note(method: string, path: string, route: string, status: number, text?: string): void;
  scan(where: string, text: string): void;
}

export function getHttpLog(base: string, secret: string): HttpLog {
  const histogram = new Map<string, Map<number, number>>();
  const failed: FailedRequest[] = [];
  const bad: FailedRequest[] = [];
  const leaks: string[] = [];
  let total = 0;

  const count = (method: string, route: string, status: number): void => {
    const k = `${method} ${route}`;
    let m = histogram.get(k);
    if (!m) histogram.set(k, (m = new Map()));
    m.set(status, (m.get(status) ?? 0) + 1);
  };
  const scan = (where: string, text: string): void => {
    if (secret !== '' && text.includes(secret)) leaks.push(where);
  };

  return {
    base,
    get total() {
      return total;
    },
    histogram,
    failed,
    bad,
    leaks,
    scan,
    note(method, path, route, status, text) {
      total++;
      count(method, route, status);
      if (status >= 500) failed.push({ method, path, status, detail: (text ?? '').slice(0, 300), at: Date.now() });
      if (text !== undefined) scan(`${method} ${path}`, text);
    },
    async request(method, path, route, options = {}) {
      total++;
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.key) headers['x-api-key'] = options.key;
      let body: string | undefined;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      try {
        const res = await fetch(`${base}${path}`, {
          method,
          headers,
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
        });
        const text = await res.text();
        count(method, route, res.status);
        const where = `${method} ${path} (${res.status})`;
        scan(where, text);
        res.headers.forEach((value, name) => scan(`${where} header ${name}`, value));
        if (res.status >= 500) failed.push({ method, path, status: res.status, detail: text.slice(0, 300), at: Date.now() });
        return { status: res.status, headers: res.headers, text };
      } catch (err) {
        count(method, route, 0);
        failed.push({ method, path, status: null, detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err), at: Date.now() });
        return null;
      }
    },
  };
}
