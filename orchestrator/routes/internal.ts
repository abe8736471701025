/**
 * `POST /internal/reconcile`: one reconcile sweep on demand, for Cloud
 * Scheduler (DESIGN §11). Never public: it takes `Authorization: Bearer
 * <RECONCILE_TOKEN>`, compared in constant time; without RECONCILE_TOKEN
 * configured the route does not exist (404, like any unknown route).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import type { AppContext } from '../context.ts';
import { HttpError, notFound, sendError } from '../http-errors.ts';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Hashing first gives both sides one length, so the comparison time says nothing about the token. */
function requireToken(token: string | null): RequestHandler {
  const expected = token === null ? null : digest(token);
  return (req, res, next) => {
    if (expected === null) {
      sendError(res, notFound(`no route for ${req.method} ${req.path}`));
      return;
    }
    const m = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
    if (!m?.[1] || !timingSafeEqual(digest(m[1]), expected)) {
      sendError(res, new HttpError(401, 'unauthenticated', 'this route needs the reconcile token (Authorization: Bearer)', [{ field: 'Authorization', message: 'is missing or not the reconcile token' }], { 'WWW-Authenticate': 'Bearer' }));
      return;
    }
    next();
  };
}

export function internalRoutes(app: AppContext): Router {
  const router = Router();
  router.post('/internal/reconcile', requireToken(app.config.reconcile.token), async (_req, res) => {
    const counts = await app.reconciler.sweep();
    res.set('Cache-Control', 'no-store').json(counts);
  });
  return router;
}
