/** `POST /build`: validate → choose the model → build (dedup) → reply. */
import { Router, type RequestHandler } from 'express';
import type { AppContext } from '../context.ts';
import { tenantOf } from '../auth.ts';
import { runLinks } from '../links.ts';
import { jsonBody, parseBuildRequest } from '../request-input.ts';
import { buildRun } from '../runs/build.ts';
import { chooseModel, GEMINI_KEY_HEADER } from '../runs/model-choice.ts';

export function buildRoutes(app: AppContext, keyed: RequestHandler[]): Router {
  const router = Router();

  router.post('/build', ...keyed, ...jsonBody(), async (req, res) => {
    const tenant = tenantOf(res);
    const body = parseBuildRequest(req.body);
    const model = chooseModel(app, req.get(GEMINI_KEY_HEADER));
    const outcome = await buildRun(app, { tenant, params: body.params, label: body.label, force: body.force ?? false, model, deadlineSeconds: body.deadlineSeconds });
    const links = runLinks(req, app.config, outcome.runId);
    res
      .status(outcome.reused ? 200 : 202)
      .location(links.ui)
      .json({
        runId: outcome.runId,
        status: outcome.status,
        reused: outcome.reused,
        links,
        ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {}),
      });
  });

  return router;
}
