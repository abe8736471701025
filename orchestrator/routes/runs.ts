/**
 * The tenant's runs: `GET /runs` (newest first, paginated, optional status
 * filter) and `GET /latest`. A page costs one index listing plus one run.json
 * read per run on it, whatever the tenant's total.
 */
import { Router, type RequestHandler } from 'express';
import { runVisibility } from '../../shared/domain/run-checks.ts';
import type { RunState, RunStatus } from '../../shared/domain/run-state.ts';
import type { AppContext } from '../context.ts';
import { tenantOf } from '../auth.ts';
import { badRequest, notFound } from '../http-errors.ts';
import { runLinks } from '../links.ts';
import { queryInt, queryString } from '../request-input.ts';
import { loadRunSummary, summaryOf, type RunSummary } from '../runs/run-reader.ts';

const STATUSES: readonly RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
/** With a status filter a request scans at most this many runs per item asked; the cursor continues the scan. */
const SCAN_FACTOR = 10;

function parseStatus(raw: string | undefined): RunStatus | null {
  if (raw === undefined || raw === '') return null;
  if (!(STATUSES as readonly string[]).includes(raw)) throw badRequest('status', `must be one of ${STATUSES.join(', ')}`);
  return raw as RunStatus;
}

/** Run summaries of one index page, in index order; deleted, foreign and not-yet-written runs left out. */
async function readPage(app: AppContext, tenant: string, runIds: string[]): Promise<RunState[]> {
  const states = await Promise.all(runIds.map((id) => loadRunSummary(app, id)));
  return states.filter((s): s is RunState => s !== null && runVisibility(s, tenant) === 'visible');
}

export interface RunListPage {
  runs: RunSummary[];
  nextCursor: string | null;
}

export async function listTenantRuns(
  app: AppContext,
  tenant: string,
  options: { limit: number; cursor: string | null; status: RunStatus | null },
): Promise<RunListPage> {
  const { limit, status } = options;
  let cursor = options.cursor;
  if (status === null) {
    const page = await app.store.listRuns(tenant, { limit, cursor });
    return { runs: (await readPage(app, tenant, page.runIds)).map(summaryOf), nextCursor: page.cursor };
  }
  // Filtered: ask the index for exactly what is still missing, so the store's cursor always
  // sits on the last run examined; stop after a bounded scan and let the cursor continue it.
  const runs: RunSummary[] = [];
  let scanned = 0;
  while (runs.length < limit && scanned < limit * SCAN_FACTOR) {
    const page = await app.store.listRuns(tenant, { limit: limit - runs.length, cursor });
    scanned += page.runIds.length;
    for (const s of await readPage(app, tenant, page.runIds)) if (s.status === status) runs.push(summaryOf(s));
    cursor = page.cursor;
    if (cursor === null) break;
  }
  return { runs, nextCursor: cursor };
}

export function runListRoutes(app: AppContext, keyed: RequestHandler[]): Router {
  const router = Router();

  router.get('/runs', ...keyed, async (req, res) => {
    const tenant = tenantOf(res);
    const limit = queryInt(req, 'limit', { min: 1, max: 100, fallback: 50 });
    const cursor = queryString(req, 'cursor') || null;
    if (cursor !== null && (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor))) throw badRequest('cursor', 'is not a cursor this server issued');
    const status = parseStatus(queryString(req, 'status'));
    res.set('Cache-Control', 'no-store').json(await listTenantRuns(app, tenant, { limit, cursor, status }));
  });

  router.get('/latest', ...keyed, async (req, res) => {
    const tenant = tenantOf(res);
    let cursor: string | null = null;
    // Deleted runs leave the index, so the newest entry is almost always the answer.
    for (let scanned = 0; scanned < 100;) {
      const page = await app.store.listRuns(tenant, { limit: 10, cursor });
      scanned += page.runIds.length;
      const [newest] = await readPage(app, tenant, page.runIds);
      if (newest) {
        res.set('Cache-Control', 'no-store').json({ ...summaryOf(newest), links: runLinks(req, app.config, newest.runId) });
        return;
      }
      cursor = page.cursor;
      if (cursor === null) break;
    }
    throw notFound('this tenant has no runs yet');
  });

  return router;
}
