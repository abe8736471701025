/**
 * Following a run's log over the orchestrator's SSE stream
 * (`GET /runs/:id/events`, `Accept: text/event-stream`): each event once, in
 * seq order, until `event: end`. A dropped connection is resumed with
 * `Last-Event-ID`, so nothing is missed or doubled; the stream is public, so
 * no key is sent.
 */
import { parseEventLine, type StoredEvent } from '../../shared/domain/events.ts';
import type { RunStatus } from '../../shared/domain/run-state.ts';
import { ApiError, ConnectionError, toApiError } from './api-client.ts';

/** What the server's `event: end` says. */
export interface StreamEnd {
  runId: string;
  status: RunStatus;
  deleted: boolean;
  lastSeq: number;
}

export interface FollowOptions {
  /** Called with each batch of new events, in seq order. */
  onEvents(events: StoredEvent[]): void;
  /** Consecutive failed connection attempts before giving up; default 10. */
  maxReconnects?: number;
  /** Pause before reconnecting when the server did not say (`retry:`); default 1000 ms. */
  reconnectMs?: number;
  signal?: AbortSignal;
}

interface SseMessage {
  event: string;
  data: string;
  id: string | null;
  retry: number | null;
}

/** Splits a buffer of SSE text into complete messages and the unfinished rest. */
export function parseSse(buffer: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  const normalised = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalised.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    let id: string | null = null;
    let retry: number | null = null;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
    }
    if (data.length > 0 || event !== 'message' || retry !== null) messages.push({ event, data: data.join('\n'), id, retry });
  }
  return { messages, rest };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/** Follows the run's events until the server ends the stream; resolves with what `end` said. */
export async function followRunEvents(baseUrl: string, runId: string, options: FollowOptions): Promise<StreamEnd> {
  const url = `${baseUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(runId)}/events`;
  const maxReconnects = options.maxReconnects ?? 10;
  let lastSeq = 0;
  let pause = options.reconnectMs ?? 1000;
  let failures = 0;
  let lastProblem = '';

  while (!options.signal?.aborted) {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'text/event-stream', ...(lastSeq > 0 ? { 'last-event-id': String(lastSeq) } : {}) },
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      if (options.signal?.aborted) break;
      lastProblem = err instanceof Error ? ((err.cause as { code?: string } | undefined)?.code ?? err.message) : String(err);
      if (++failures > maxReconnects) throw new ConnectionError(`cannot follow run ${runId} at ${new URL(url).origin}: ${lastProblem}`);
      await sleep(pause, options.signal);
      continue;
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      const error = toApiError({ status: res.status, headers: res.headers, text, json });
      // A 5xx may pass (a restarting instance); a 4xx will not.
      if (res.status < 500 || ++failures > maxReconnects) throw error;
      lastProblem = error.message;
      await sleep(pause, options.signal);
      continue;
    }
    if (!res.body) throw new ApiError(res.status, 'bad_response', 'the event stream has no body');

    const connectedAt = Date.now();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        const parsed = parseSse(buffer);
        buffer = parsed.rest;
        const fresh: StoredEvent[] = [];
        for (const m of parsed.messages) {
          if (m.retry !== null) pause = Math.min(Math.max(m.retry, 100), 30_000);
          if (m.event === 'end') {
            if (fresh.length > 0) options.onEvents(fresh);
            return JSON.parse(m.data) as StreamEnd;
          }
          if (m.event !== 'message' || m.data === '') continue;
          const event = parseEventLine(m.data);
          // The server resumes after Last-Event-ID; a repeat would still be dropped here.
          if (event.seq <= lastSeq) continue;
          lastSeq = event.seq;
          fresh.push(event);
        }
        if (fresh.length > 0) {
          failures = 0;
          options.onEvents(fresh);
        }
      }
    } catch (err) {
      if (options.signal?.aborted) break;
      if (err instanceof SyntaxError || (err instanceof Error && err.name === 'MalformedEventError')) throw err;
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    // The connection ended without `end` (a restart, a proxy timeout): resume after the last event seen.
    // A connection that lived a while was healthy; only quick drops count towards giving up.
    if (Date.now() - connectedAt > 5_000) failures = 0;
    if (++failures > maxReconnects) throw new ConnectionError(`the event stream of run ${runId} keeps dropping${lastProblem ? ` (${lastProblem})` : ''}`);
    await sleep(pause, options.signal);
  }
  throw new ConnectionError(`following run ${runId} was stopped`);
}
