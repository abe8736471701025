/** `/health` and `/openapi.json`. */
import { Router } from 'express';
import type { AppContext } from '../context.ts';
import { openApiDocument } from '../openapi.ts';
import { effectiveProvider, GEMINI_KEY_HEADER, keySourceFor } from '../runs/model-choice.ts';

export function systemRoutes(app: AppContext): Router {
  const router = Router();
  const document = openApiDocument(app.config);

  router.get('/health', (req, res) => {
    const source = keySourceFor(app, req.get(GEMINI_KEY_HEADER));
    res.set('Cache-Control', 'no-store').json({
      status: 'ok',
      storage_backend: app.config.store.kind,
      job_backend: app.launcher.backend,
      ...(app.config.launcher.kind === 'local' ? { local_job_mode: app.config.launcher.mode } : {}),
      pubsub: app.config.pubsubTopic ? 'on' : 'off',
      llm_provider: source === 'header' ? 'gemini' : effectiveProvider(app.config),
      api_key_source: source,
      version: app.config.appVersion,
      pipeline_version: app.config.pipelineVersion,
    });
  });

  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').json(document);
  });

  return router;
}
