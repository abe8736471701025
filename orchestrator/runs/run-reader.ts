/**
 * Reading a run as clients see it: `run.json` when it is current, the fold of
 * the log when it is not (and then the rebuilt projection is written back,
 * so the next reader finds it current). The log is the truth; `run.json` is a
 * cache that may lag behind it, never lead it.
 */
import { project, type RunState, type RunStatus } from '../../shared/domain/run-state.ts';
import { ensureError } from '../../shared/logger.ts';
import { serializeProjection } from '../../shared/store/run-store.ts';
import type { AppContext } from '../context.ts';
import { BY_LINK, requireVisibleRun } from '../http-errors.ts';

export interface LoadedRun {
  state: RunState;
  /** run.json exactly as served: stable key order, no whitespace. */
  json: string;
}

function parseProjection(bytes: Buffer | null): { state: RunState; json: string } | null {
  if (!bytes) return null;
  const json = bytes.toString('utf8');
  try {
    const state = JSON.parse(json) as RunState;
    return typeof state.lastSeq === 'number' && typeof state.runId === 'string' ? { state, json } : null;
  } catch {
    return null;
  }
}

/** Folds the log, writes the rebuilt projection (best effort) and returns it; null when the run has no log. */
async function rebuild(app: AppContext, runId: string, repair: boolean): Promise<LoadedRun | null> {
  const log = await app.store.readLog(runId);
  if (log.lastSeq === 0) return null;
  const state = project(log.events);
  if (repair) {
    try {
      await app.store.writeProjection(runId, state);
    } catch (err) {
      app.logger.warn({ runId, err: ensureError(err).message }, 'could not rewrite a stale run.json; serving the fold');
    }
  }
  return { state, json: serializeProjection(state) };
}

/**
 * The run as it stands in the log (run.json if it is current). Null when the
 * run does not exist. A stale run.json is rewritten from the fold unless
 * `repair` is false (callers that only peek, many at once).
 */
export async function loadRun(app: AppContext, runId: string, options: { repair?: boolean } = {}): Promise<LoadedRun | null> {
  const [generation, head] = await Promise.all([app.store.projectionGeneration(runId), app.store.logHead(runId)]);
  if (!head) return null;
  // The hot path of judges and live pages: an unchanged run.json is neither re-read nor re-parsed.
  const cached = app.caches.projections.get(runId);
  let current = cached && generation !== null && cached.generation === generation ? cached.run : null;
  if (!current && generation !== null) {
    const stored = await app.store.readProjectionVersion(runId);
    current = parseProjection(stored?.bytes ?? null);
    if (current && stored) app.caches.projections.set(runId, { generation: stored.generation, run: current });
  }
  if (current && current.state.lastSeq >= head.lastSeq) return current;
  return rebuild(app, runId, options.repair ?? true);
}

/**
 * run.json alone, without asking the log: what a listing reads per item, so
 * a page costs one read per run. Falls back to the log only when run.json is
 * missing or unreadable.
 */
export async function loadRunSummary(app: AppContext, runId: string): Promise<RunState | null> {
  const current = parseProjection(await app.store.readProjection(runId));
  if (current) return current.state;
  return (await loadRun(app, runId))?.state ?? null;
}

/**
 * A run that exists and is not deleted, for the public read routes (by link:
 * see requireVisibleRun). A run that may be stale (its lease expired, its
 * launch past the grace) is handed to the reconciler, in the background.
 */
export async function loadVisibleRun(app: AppContext, runId: string): Promise<LoadedRun> {
  const run = requireVisibleRun(runId, await loadRun(app, runId), BY_LINK);
  app.reconciler.nudge(runId, run.state);
  return run;
}

export interface RunSummary {
  runId: string;
  label: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  progress: { done: number; total: number };
}

export function summaryOf(state: RunState): RunSummary {
  return {
    runId: state.runId,
    label: state.label,
    status: state.status,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    progress: { done: state.progress.done, total: state.progress.total },
  };
}
