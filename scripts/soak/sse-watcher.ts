/**
 * One SSE watcher of the soak: opens `GET /runs/:id/events` with
 * `Accept: text/event-stream` (resuming after a seq via `?after` or
 * `Last-Event-ID`), records every event frame's id, seq and event id, and the
 * `event: end` frame. The checker judges the record against the final log.
 */
import type { HttpLog } from './http-log.ts';
import type { SseRecord } from './types.ts';

export interface SseWatch {
  record: SseRecord;
  /** Resolves when the stream ended, broke, or was aborted. */
  done: Promise<SseRecord>;
  abort(reason: string): void;
}

export function watchRun(http: HttpLog, runId: string, after: number, how: 'query' | 'last-event-id'): SseWatch {
  const record: SseRecord = { runId, after, httpStatus: 0, frames: [], end: null, aborted: null, problems: [] };
  const controller = new AbortController();
  const path = how === 'query' && after > 0 ? `/runs/${runId}/events?after=${after}` : `/runs/${runId}/events`;
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (how === 'last-event-id' && after > 0) headers['last-event-id'] = String(after);

  const onBlock = (block: string): void => {
    let id: string | undefined;
    let event: string | undefined;
    let data: string | undefined;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
    }
    if (data === undefined) return;
    http.scan(`SSE ${path}`, data);
    if (event === 'end') {
      try {
        const end = JSON.parse(data) as { status?: unknown; deleted?: unknown; lastSeq?: unknown };
        record.end = { status: String(end.status), deleted: end.deleted === true, lastSeq: Number(end.lastSeq) };
      } catch {
        record.problems.push(`unparsable end frame: ${data.slice(0, 80)}`);
      }
      return;
    }
    try {
      const e = JSON.parse(data) as { seq?: unknown; id?: unknown };
      record.frames.push({ frameId: Number(id), seq: Number(e.seq), id: String(e.id) });
    } catch {
      record.problems.push(`unparsable event frame: ${data.slice(0, 80)}`);
    }
  };

  const done = (async (): Promise<SseRecord> => {
    let res: Response;
    try {
      res = await fetch(`${http.base}${path}`, { headers, signal: controller.signal });
    } catch (err) {
      if (!controller.signal.aborted) http.note('GET', path, '/runs/:id/events (SSE)', 0);
      record.aborted = controller.signal.aborted ? String(controller.signal.reason) : `connect failed: ${String(err)}`;
      if (!controller.signal.aborted) http.failed.push({ method: 'GET', path, status: null, detail: record.aborted, at: Date.now() });
      return record;
    }
    record.httpStatus = res.status;
    if (res.status !== 200 || !res.body) {
      http.note('GET', path, '/runs/:id/events (SSE)', res.status, await res.text().catch(() => ''));
      return record;
    }
    http.note('GET', path, '/runs/:id/events (SSE)', res.status);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done: finished, value } = await reader.read();
        if (finished) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          onBlock(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
      if (!record.end) record.aborted = 'the server closed the stream without an end frame';
    } catch (err) {
      record.aborted = controller.signal.aborted ? String(controller.signal.reason) : `stream broke: ${String(err)}`;
    }
    return record;
  })();

  return {
    record,
    done,
    abort: (reason) => controller.abort(reason),
  };
}
