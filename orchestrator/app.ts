/**
 * The orchestrator's HTTP API (DESIGN §7) as an Express 5 app, built from
 * injected dependencies: `createApp(deps)` does no I/O of its own, so tests
 * run it against any store, launcher and clock. Routes are thin (validate →
 * command → decide and append → reply); errors go through one middleware.
 */
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { v7 as uuidv7 } from 'uuid';
import { BoundedLru } from '../shared/bounded-lru.ts';
import { getNoopPublisher } from '../shared/events-bus/event-publisher.ts';
import { getApiKeyRing } from '../shared/security/api-keys.ts';
import { rateLimitPerKey, requireKey } from './auth.ts';
import type { AppContext, AppDeps } from './context.ts';
import { errorHandler, notFoundHandler } from './http-errors.ts';
import { buildRoutes } from './routes/build.ts';
import { internalRoutes } from './routes/internal.ts';
import { runListRoutes } from './routes/runs.ts';
import { runOperationRoutes } from './routes/run-operations.ts';
import { runReadRoutes } from './routes/run-reads.ts';
import { systemRoutes } from './routes/system.ts';
import { getReconciler, type Reconciler } from './runs/reconciler.ts';
import { getRunTails } from './runs/run-tail.ts';
import { uiRouter } from './ui.ts';

export type { AppDeps } from './context.ts';

/** The page CSP: no inline script or style, nothing from elsewhere, never framed. */
export const PAGE_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
};

/** Parsed run.json kept for the hot read path (judges, live pages); a run's is about a few KB. */
const PARSED_RUNS_MAX = 1000;
/** Outboxes of runs this app committed to lately; an evicted one is simply made again. */
const OUTBOXES_MAX = 256;

export function resolveContext(deps: AppDeps): AppContext {
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? uuidv7;
  const tailIntervalMs = deps.tailIntervalMs ?? (deps.store.backend === 'gcs' ? 1000 : 200);
  const ctx: Omit<AppContext, 'reconciler'> & { reconciler: Reconciler | null } = {
    config: deps.config,
    store: deps.store,
    launcher: deps.launcher,
    launchWithEnv: deps.launchWithEnv ?? null,
    logger: deps.logger,
    publisher: deps.publisher ?? getNoopPublisher(),
    keys: getApiKeyRing(deps.config.apiKeys),
    now,
    newId,
    decideContext: () => ({ now: now().toISOString(), newId }),
    tails: getRunTails(deps.store, { intervalMs: tailIntervalMs, logger: deps.logger }),
    caches: {
      projections: new BoundedLru({ maxEntries: PARSED_RUNS_MAX }),
      outboxes: new BoundedLru({ maxEntries: OUTBOXES_MAX }),
    },
    heartbeatMs: deps.heartbeatMs ?? 15_000,
    claimWaitMs: deps.claimWaitMs ?? 3_000,
    failpoint: deps.failpoint ?? (() => undefined),
    reconciler: null,
  };
  // The reconciler works through the context it belongs to (commit, launch).
  const app = ctx as AppContext;
  app.reconciler = getReconciler(app);
  return app;
}

/** One structured line per request: method, route, status, time; never headers or bodies. */
function requestLog(app: AppContext): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      const fields = {
        method: req.method,
        route: typeof route === 'string' ? route : null,
        path: req.path.slice(0, 200),
        status: res.statusCode,
        ms: Number((process.hrtime.bigint() - started) / 1_000_000n),
        ...(typeof res.locals['tenant'] === 'string' ? { tenant: res.locals['tenant'] } : {}),
        ...(typeof req.params['id'] === 'string' && /^[0-9a-f-]{36}$/.test(req.params['id']) ? { runId: req.params['id'] } : {}),
      };
      if (res.statusCode >= 500) app.logger.error(fields, 'request');
      else app.logger.info(fields, 'request');
    });
    next();
  };
}

export function createApp(deps: AppDeps): Express {
  return createOrchestrator(deps).app;
}

/**
 * The app with the context behind it, for a composition root that also runs
 * the reconciler's sweeps (`context.reconciler.start()`, `close()`).
 */
export function createOrchestrator(deps: AppDeps): { app: Express; context: AppContext } {
  const ctx = resolveContext(deps);
  const app = express();
  // Cloud Run's front end is the one proxy: its X-Forwarded-* give the client's scheme and address.
  app.set('trust proxy', 1);
  app.set('query parser', 'simple');
  app.disable('x-powered-by');

  app.use(requestLog(ctx));
  app.use(helmet({
    contentSecurityPolicy: { useDefaults: false, directives: PAGE_CSP_DIRECTIVES },
    crossOriginEmbedderPolicy: false,
  }));

  const keyed: RequestHandler[] = [rateLimitPerKey(deps.config.rateLimitPerMinute), requireKey(ctx.keys)];

  app.use(systemRoutes(ctx));
  app.use(internalRoutes(ctx));
  app.use(buildRoutes(ctx, keyed));
  app.use(runListRoutes(ctx, keyed));
  app.use(runOperationRoutes(ctx, keyed));
  app.use(runReadRoutes(ctx));
  // The UI's pages and assets: `/`, the run page `/runs/:id` (an HTML 404 for unknown or deleted runs), `/assets/*`.
  app.use(uiRouter({
    store: ctx.store,
    config: ctx.config,
    onError: (err, runId) => ctx.logger.warn({ runId, err: err.message }, 'run page: the store could not be read'),
  }));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return { app, context: ctx };
}
