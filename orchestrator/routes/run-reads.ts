/**
 * Public reads of one run, by link (judges need no key): run.json, the log
 * (JSONL, or live SSE), artifacts, and the seed-compatible aliases. Unknown
 * runs are 404, deleted runs 410 (requireVisibleRun). (The run page is the UI's: ui.ts.) A read
 * never writes, except to rewrite a run.json that lags behind its log.
 */
import type { Request, Response } from 'express';
import { Router } from 'express';
import { isEventOf, serializeEvent, type StoredEvent } from '../../shared/domain/events.ts';
import { project } from '../../shared/domain/run-state.ts';
import type { AppContext } from '../context.ts';
import { badRequest, BY_LINK, notFound, requireVisibleRun } from '../http-errors.ts';
import { artifactNameParam, queryInt, runIdParam } from '../request-input.ts';
import { loadVisibleRun } from '../runs/run-reader.ts';

/** Content types an artifact may be served as; anything else is a download. */
const SERVED_TYPES: Record<string, string> = {
  'application/json': 'application/json; charset=utf-8',
  'image/svg+xml': 'image/svg+xml',
  'text/markdown': 'text/markdown; charset=utf-8',
  'text/plain': 'text/plain; charset=utf-8',
  'text/csv': 'text/csv; charset=utf-8',
  'image/png': 'image/png',
};

const BY_EXTENSION: Record<string, string> = {
  json: 'application/json', svg: 'image/svg+xml', md: 'text/markdown', txt: 'text/plain', csv: 'text/csv', png: 'image/png',
};

/** Scripts in an artifact never run, and it loads nothing; inline styles and data: images may render (SVG charts). */
const ARTIFACT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox";

function artifactType(stored: string, name: string): { type: string; download: boolean } {
  const base = stored.split(';')[0]?.trim().toLowerCase() ?? '';
  const known = SERVED_TYPES[base] ?? SERVED_TYPES[BY_EXTENSION[name.split('.').pop()?.toLowerCase() ?? ''] ?? ''];
  return known ? { type: known, download: false } : { type: 'application/octet-stream', download: true };
}

const lines = (events: readonly StoredEvent[]): string => events.map(serializeEvent).join('');

/** The whole log of a run that may be shown by link (see requireVisibleRun). */
async function visibleLog(app: AppContext, runId: string): Promise<StoredEvent[]> {
  const log = await app.store.readLog(runId);
  requireVisibleRun(runId, { state: project(log.events) }, BY_LINK);
  return log.events;
}

export function runReadRoutes(app: AppContext): Router {
  const router = Router();

  // ---- run.json -------------------------------------------------------------
  router.get('/runs/:id/run.json', async (req, res) => {
    const run = await loadVisibleRun(app, runIdParam(req));
    const etag = `"${run.state.lastSeq}"`;
    res.set({ ETag: etag, 'Cache-Control': 'no-cache' });
    const match = req.get('if-none-match');
    if (match !== undefined && match.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
      res.status(304).end();
      return;
    }
    res.type('application/json; charset=utf-8').send(run.json);
  });

  // ---- the log: JSONL, or a live SSE tail ---------------------------------------
  router.get('/runs/:id/events', async (req, res) => {
    const runId = runIdParam(req);
    const after = queryInt(req, 'after', { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 });
    if ((req.get('accept') ?? '').includes('text/event-stream')) {
      await streamEvents(app, req, res, runId, after);
      return;
    }
    const events = await visibleLog(app, runId);
    res.type('application/x-ndjson; charset=utf-8').set('Cache-Control', 'no-cache').send(lines(events.slice(after)));
  });

  // ---- artifacts ------------------------------------------------------------------
  const artifact = (imageOnly: boolean) => async (req: Request, res: Response) => {
    const runId = runIdParam(req);
    const name = artifactNameParam(req);
    if (imageOnly && !/\.(svg|png)$/i.test(name)) throw notFound(`${name} is not an image`, 'name');
    const run = await loadVisibleRun(app, runId);
    const listed = Object.values(run.state.nodes).some((n) => n.artifacts.includes(name));
    if (!listed) throw notFound(`run ${runId} has no artifact ${name}`, 'name');
    const stored = await app.store.getArtifact(runId, name);
    if (!stored) throw notFound(`run ${runId} has no artifact ${name}`, 'name');
    const { type, download } = artifactType(stored.contentType, name);
    res.set({
      'Content-Type': type,
      'Content-Security-Policy': ARTIFACT_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': `${download ? 'attachment' : 'inline'}; filename="${name}"`,
      'Cache-Control': 'no-cache',
    });
    res.send(stored.body);
  };
  router.get('/runs/:id/artifacts/:name', artifact(false));
  router.get('/artifact/:id/:name', artifact(false));
  router.get('/artifact/:id/image/:name', artifact(true));

  // ---- seed-compatible views of the log --------------------------------------------
  router.get('/run/:id/node_events', async (req, res) => {
    const runId = runIdParam(req);
    const events = (await visibleLog(app, runId)).filter((e) => e.type.startsWith('node.'));
    res.set('Cache-Control', 'no-cache').json({ runId, events });
  });

  router.get('/run/:id/normalization', async (req, res) => {
    const runId = runIdParam(req);
    const attempts = [];
    for (const e of await visibleLog(app, runId)) {
      if (!isEventOf(e, 'node.attempt.failed') || !e.data.normalization) continue;
      const { node, attempt, error, normalization } = e.data;
      attempts.push({ node, attempt, seq: e.seq, at: e.at, error, issues: normalization.issues });
    }
    res.set('Cache-Control', 'no-cache').json({ runId, attempts });
  });

  const LOG_STREAMS: Record<string, (e: StoredEvent) => boolean> = {
    events: () => true,
    nodes: (e) => e.type.startsWith('node.'),
    executions: (e) => e.type.startsWith('execution.'),
  };
  router.get('/run/:id/logs/:name', async (req, res) => {
    const runId = runIdParam(req);
    const name = String(req.params['name']);
    if (!/^[a-z_]{1,32}$/.test(name)) throw badRequest('name', 'must be a log stream name');
    const filter = Object.hasOwn(LOG_STREAMS, name) ? LOG_STREAMS[name] : undefined;
    if (!filter) throw notFound(`no log stream ${name}; known: ${Object.keys(LOG_STREAMS).join(', ')}`, 'name');
    const events = (await visibleLog(app, runId)).filter(filter);
    res.type('application/x-ndjson; charset=utf-8').set('Cache-Control', 'no-cache').send(lines(events));
  });

  return router;
}

/**
 * SSE: `id: <seq>` and the event JSON per event, in seq order, each once,
 * resuming after `Last-Event-ID` (or `?after`); comment heartbeats; an
 * `event: end` once the run is settled and everything was sent.
 */
async function streamEvents(app: AppContext, req: Request, res: Response, runId: string, afterQuery: number): Promise<void> {
  const lastEventId = req.get('last-event-id');
  let after = afterQuery;
  if (lastEventId !== undefined && lastEventId.trim() !== '') {
    if (!/^\d{1,15}$/.test(lastEventId.trim())) throw badRequest('Last-Event-ID', 'must be the seq of an event');
    after = Number(lastEventId.trim());
  }
  const run = await loadVisibleRun(app, runId);

  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
    Connection: 'keep-alive',
  });
  res.write(`retry: 2000\n: run ${run.state.runId}\n\n`);
  req.socket.setNoDelay(true);

  let open = true;
  let unsubscribe = (): void => undefined;
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), app.heartbeatMs);
  const close = (): void => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    unsubscribe();
    res.end();
  };
  // The response closes when the client goes away (the request's own 'close' fires as soon as it is read).
  res.on('close', close);
  res.on('error', close);
  unsubscribe = app.tails.subscribe(runId, after, {
    send(events) {
      if (!open) return;
      res.write(events.map((e) => `id: ${e.seq}\ndata: ${serializeEvent(e).trimEnd()}\n\n`).join(''));
    },
    end(state) {
      if (!open) return;
      res.write(`event: end\ndata: ${JSON.stringify({ runId, status: state.status, deleted: state.deleted, lastSeq: state.lastSeq })}\n\n`);
      close();
    },
  });
}
