/**
 * Keys and rate limits. Listing, build, retry, resume, cancel and delete need
 * a key (`X-Api-Key`, or `Authorization: Bearer`); reads of a run are public
 * by link. The tenant a key belongs to is put in `res.locals.tenant`.
 * Ownership is checked where the run is read (a run of another tenant is
 * answered exactly like a run that does not exist: 404, nothing written).
 */
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { keyHandle, type ApiKeyRing } from '../shared/security/api-keys.ts';
import { HttpError, sendError } from './http-errors.ts';

/** The key a request presents, if any: `X-Api-Key` first, then a bearer token. */
export function presentedKey(req: Request): string | undefined {
  const header = req.get('x-api-key')?.trim();
  if (header) return header;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  return m?.[1];
}

/** The authenticated tenant of a keyed route. */
export function tenantOf(res: Response): string {
  const tenant: unknown = res.locals['tenant'];
  if (typeof tenant !== 'string') throw new Error('tenantOf() used on a route without requireKey');
  return tenant;
}

/** 401 without a key or with an unknown one; otherwise `res.locals.tenant`. */
export function requireKey(ring: ApiKeyRing): RequestHandler {
  return (req, res, next) => {
    const key = presentedKey(req);
    if (key === undefined) {
      sendError(res, new HttpError(401, 'unauthenticated', 'an API key is required (X-Api-Key or Authorization: Bearer)', [{ field: 'X-Api-Key', message: 'is missing' }], { 'WWW-Authenticate': 'Bearer' }));
      return;
    }
    const tenant = ring.tenantOf(key);
    if (tenant === null) {
      sendError(res, new HttpError(401, 'unauthenticated', 'the API key is not valid', [{ field: 'X-Api-Key', message: 'is not a known key' }], { 'WWW-Authenticate': 'Bearer error="invalid_token"' }));
      return;
    }
    res.locals['tenant'] = tenant;
    next();
  };
}

/**
 * At most `perMinute` requests per key (per client address for requests
 * without one), counted before the key is checked so guessing keys is
 * throttled too. In memory: each instance counts its own traffic.
 */
export function rateLimitPerKey(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // The header checks would print through console; the proxy setting is the app's, on purpose.
    validate: false,
    keyGenerator: (req) => {
      const key = presentedKey(req);
      return key !== undefined ? keyHandle(key) : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
    },
    handler: (req, res) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 60;
      sendError(res, new HttpError(429, 'rate_limited', `too many requests for this key; retry in ${seconds} s`, undefined, { 'Retry-After': String(seconds) }));
    },
  });
}
