/**
 * The browser UI: static pages and assets, served by the orchestrator itself
 * (the machines are offline, so no CDN). Pages are plain HTML with ES modules
 * and no inline script or style, so the app's Content-Security-Policy
 * (`script-src 'self'; style-src 'self'`) holds without exceptions.
 *
 * - `GET /`              the operator console (public/index.html)
 * - `GET /runs/:id`      the run page, for an existing run that is not deleted; otherwise an HTML 404
 *
 * Both pages carry RUN_MAX_EXECUTIONS in `<body data-run-max-executions>`: the
 * budget they count executions against ("execution 2 of 3").
 * - `GET /assets/*`      public/assets (JS, CSS, icons)
 * - `GET /assets/vendor/marked.esm.js`, `/assets/vendor/purify.es.mjs`  from node_modules
 *
 * The pages read everything else through the public JSON routes
 * (`run.json`, `events`, `artifacts`) and the keyed operator routes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Response, type Router } from 'express';
import type { Config } from '../shared/config.ts';
import { runVisibility } from '../shared/domain/run-checks.ts';
import { project, type RunState } from '../shared/domain/run-state.ts';
import { ensureError } from '../shared/logger.ts';
import { isRunId } from '../shared/store/keys.ts';
import type { RunStore } from '../shared/store/run-store.ts';

export interface UiDeps {
  store: RunStore;
  /** Read for RUN_MAX_EXECUTIONS only. */
  config?: Config;
  /** Told when a store read fails while checking a run (the page then answers 503). */
  onError?: (err: Error, runId: string) => void;
}

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const ASSETS_DIR = path.join(PUBLIC_DIR, 'assets');

/** Assets are not fingerprinted: a short max-age plus ETag revalidation keeps deploys visible within minutes. */
const ASSET_MAX_AGE_S = 300;
const VENDOR_MAX_AGE_S = 86_400;

/**
 * Vendored browser modules, resolved the way an ES import resolves them (the
 * packages' `import` exports are their browser ES module builds), so no
 * node_modules path is hard-coded.
 */
function vendorFiles(): Record<string, string> {
  return {
    'marked.esm.js': fileURLToPath(import.meta.resolve('marked')),
    'purify.es.mjs': fileURLToPath(import.meta.resolve('dompurify')),
  };
}

/**
 * Whether the run page should be served: the run exists and is not deleted.
 * run.json may lag behind the log (it is a cache), so the tail of the log
 * after its `lastSeq` is folded on top — a just-deleted run is never shown.
 */
export async function isViewableRun(store: RunStore, runId: string): Promise<boolean> {
  if (!isRunId(runId)) return false;
  const bytes = await store.readProjection(runId);
  let state: RunState | undefined;
  if (bytes) {
    try {
      state = JSON.parse(bytes.toString('utf8')) as RunState;
    } catch {
      state = undefined; // a torn cache: fold the whole log instead
    }
  }
  const tail = await store.readLog(runId, state?.lastSeq ?? 0);
  const folded = state ? project(tail.events, state) : project(tail.events);
  return folded.runId === runId && runVisibility(folded) === 'visible';
}

/**
 * RUN_MAX_EXECUTIONS as the pages show it (`config.reconcile.maxExecutions`);
 * 3, its default, where the config has no such field (before the reconciler's config).
 */
export function runMaxExecutionsOf(config: Config | undefined): number {
  const reconcile = config && 'reconcile' in config ? (config.reconcile as { maxExecutions?: unknown } | null) : null;
  return typeof reconcile?.maxExecutions === 'number' ? reconcile.maxExecutions : 3;
}

/** A page with this deployment's execution budget in its body's data attribute (the file says 3). */
function pageWithBudget(file: string, maxExecutions: number): () => Promise<string> {
  let html: Promise<string> | null = null;
  return () => {
    html ??= readFile(path.join(PUBLIC_DIR, file), 'utf8')
      .then((text) => text.replace('data-run-max-executions="3"', `data-run-max-executions="${maxExecutions}"`))
      .catch((err: unknown) => {
        html = null;
        throw err;
      });
    return html;
  };
}

function sendPage(res: Response, file: string, status = 200): void {
  res.status(status);
  res.set('Cache-Control', 'no-cache');
  res.type('html');
  res.sendFile(path.join(PUBLIC_DIR, file));
}

export function uiRouter(deps: UiDeps): Router {
  const router = express.Router();

  const vendor = vendorFiles();
  router.get('/assets/vendor/:file', (req, res, next) => {
    // Own names only: `__proto__` or `constructor` must not reach sendFile (found by the fuzzer).
    const file = Object.hasOwn(vendor, req.params.file) ? vendor[req.params.file] : undefined;
    if (!file) {
      next();
      return;
    }
    res.set('Cache-Control', `public, max-age=${VENDOR_MAX_AGE_S}`);
    res.type('text/javascript');
    res.sendFile(file);
  });

  router.use(
    '/assets',
    express.static(ASSETS_DIR, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      fallthrough: true,
      maxAge: ASSET_MAX_AGE_S * 1000,
      setHeaders: (res, filePath) => {
        // Browsers only run module scripts served with a JavaScript MIME type.
        if (filePath.endsWith('.js') || filePath.endsWith('.mjs')) res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
        res.setHeader('X-Content-Type-Options', 'nosniff');
      },
    }),
  );
  // An unknown asset is a plain 404, never the HTML fallback a page route would give.
  router.use('/assets', (_req, res) => {
    res.status(404).type('text/plain').send('Not found');
  });

  const maxExecutions = runMaxExecutionsOf(deps.config);
  const consolePage = pageWithBudget('index.html', maxExecutions);
  const runPage = pageWithBudget('run.html', maxExecutions);

  router.get('/', async (_req, res) => {
    res.set('Cache-Control', 'no-cache');
    res.type('html').send(await consolePage());
  });

  router.get('/runs/:id', async (req, res) => {
    const runId = req.params.id;
    let viewable: boolean;
    try {
      viewable = await isViewableRun(deps.store, runId);
    } catch (err) {
      deps.onError?.(ensureError(err), runId);
      sendPage(res, 'unavailable.html', 503);
      return;
    }
    if (!viewable) {
      sendPage(res, 'not-found.html', 404);
      return;
    }
    res.set('Cache-Control', 'no-cache');
    res.type('html').send(await runPage());
  });

  return router;
}
