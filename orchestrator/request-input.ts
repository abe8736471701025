/**
 * Turning untrusted request parts into checked values, before any I/O: route
 * parameters, query parameters and JSON bodies. Every refusal is a 400 that
 * names the parameter or field.
 */
import type { Request, RequestHandler } from 'express';
import express from 'express';
import { buildRequestSchema, type BuildRequest } from '../shared/domain/params.ts';
import { checkArtifactName, checkRunId } from '../shared/store/keys.ts';
import { badRequest, HttpError, validationError, zodDetails, type ErrorDetail } from './http-errors.ts';

/** A route parameter as one string (Express 5 types allow arrays for wildcards). */
function param(req: Request, name: string): string {
  const value: unknown = req.params[name];
  if (typeof value !== 'string') throw badRequest(name, 'is missing');
  return value;
}

export function runIdParam(req: Request, name = 'id'): string {
  const value = param(req, name);
  try {
    return checkRunId(value);
  } catch {
    throw badRequest(name, 'must be a run id (a lowercase UUID)');
  }
}

const NODE_ID = /^[a-z][a-z0-9_]{0,63}$/;

export function nodeParam(req: Request): string {
  const value = param(req, 'node');
  if (!NODE_ID.test(value)) throw badRequest('node', 'must be a node id (lowercase letters, digits and "_")');
  return value;
}

export function artifactNameParam(req: Request, name = 'name'): string {
  const value = param(req, name);
  try {
    return checkArtifactName(value);
  } catch {
    throw badRequest(name, 'must be an artifact name (letters, digits, "-", "_" and single dots)');
  }
}

/** One query parameter as a single string, or undefined when absent. */
export function queryString(req: Request, name: string): string | undefined {
  const value: unknown = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(name, 'must be given once');
  return value;
}

export function queryInt(req: Request, name: string, range: { min: number; max: number; fallback: number }): number {
  const raw = queryString(req, name);
  if (raw === undefined || raw === '') return range.fallback;
  if (!/^\d{1,15}$/.test(raw)) throw badRequest(name, `must be an integer from ${range.min} to ${range.max}`);
  const n = Number(raw);
  if (n < range.min || n > range.max) throw badRequest(name, `must be an integer from ${range.min} to ${range.max}`);
  return n;
}

// ---------------------------------------------------------------------------
// JSON bodies

const MAX_DEPTH = 8;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// C0 controls but tab, LF and CR; DEL. Text that carries these is not text a person typed.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

function pathOf(parts: readonly (string | number)[]): string {
  let out = '';
  for (const p of parts) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? 'body' : out;
}

/**
 * Checks what a schema cannot see and normalises every string: no prototype
 * keys, bounded depth, well-formed Unicode (no lone surrogates), no control
 * characters, NFC (so composed and decomposed spellings sign alike).
 */
export function sanitizeJson(value: unknown): unknown {
  const details: ErrorDetail[] = [];
  const visit = (v: unknown, path: (string | number)[]): unknown => {
    if (details.length >= 20) return v;
    if (typeof v === 'string') {
      if (!v.isWellFormed()) details.push({ field: pathOf(path), message: 'is not well-formed Unicode (lone surrogate)' });
      else if (CONTROL.test(v)) details.push({ field: pathOf(path), message: 'contains control characters' });
      else return v.normalize('NFC');
      return v;
    }
    if (typeof v !== 'object' || v === null) return v;
    if (path.length >= MAX_DEPTH) {
      details.push({ field: pathOf(path), message: 'is nested too deeply' });
      return v;
    }
    if (Array.isArray(v)) return v.map((x, i) => visit(x, [...path, i]));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) {
        details.push({ field: pathOf([...path, key]), message: 'is not an allowed field name' });
        continue;
      }
      if (!key.isWellFormed() || CONTROL.test(key)) {
        details.push({ field: pathOf(path), message: 'has a field name that is not well-formed text' });
        continue;
      }
      Object.defineProperty(out, key, { value: visit((v as Record<string, unknown>)[key], [...path, key]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  const cleaned = visit(value, []);
  if (details.length > 0) throw validationError(details);
  return cleaned;
}

export function parseBuildRequest(body: unknown): BuildRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationError([{ field: 'body', message: 'must be a JSON object {params, label?, force?}' }]);
  }
  const parsed = buildRequestSchema.safeParse(sanitizeJson(body));
  if (!parsed.success) throw validationError(zodDetails(parsed.error));
  return parsed.data;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON body parser of the routes that take a body: JSON only (415
 * otherwise), at most 64 KiB (413), strict UTF-8 (400), object or array at
 * the top (400 otherwise).
 */
export function jsonBody(): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    if (!hasBody) {
      next(validationError([{ field: 'body', message: 'is required: a JSON object {params, label?, force?}' }]));
      return;
    }
    if (!req.is(['application/json', 'application/*+json'])) {
      next(new HttpError(415, 'unsupported_media_type', 'the request body must be JSON (Content-Type: application/json)', [{ field: 'Content-Type', message: 'must be application/json' }]));
      return;
    }
    next();
  };
  const parse = express.json({
    limit: '64kb',
    strict: true,
    type: ['application/json', 'application/*+json'],
    verify: (_req, _res, buf) => {
      utf8.decode(buf);
    },
  });
  return [requireJson, parse];
}
