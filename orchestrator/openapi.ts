/**
 * The API described in OpenAPI 3.1, served at /openapi.json. The operation
 * table below is the description; a test holds it to the routes Express
 * really has, both ways. Every body schema — requests and responses — is
 * generated with `z.toJSONSchema` from the zod schemas the routes validate
 * with (request bodies) and the tests parse real answers with (responses,
 * api-schemas.ts).
 */
import { z } from 'zod';
import type { Config } from '../shared/config.ts';
import { QUERY_SCHEMAS, REQUEST_SCHEMAS, RESPONSE_SCHEMAS, type RequestName, type ResponseName } from './api-schemas.ts';

type Method = 'get' | 'post' | 'delete';

interface Operation {
  method: Method;
  /** Express path syntax (`/runs/:id`). */
  path: string;
  summary: string;
  keyed: boolean;
  tag: 'runs' | 'operations' | 'reads' | 'aliases' | 'system' | 'ui' | 'internal';
  /** Success answers: status → description and media type (JSON when a schema is named). */
  ok: Record<string, { description: string; type?: string; schema?: ResponseName }>;
  /** Error statuses this operation may answer (each with the `Error` body). */
  errors: number[];
  query?: { name: keyof typeof QUERY_SCHEMAS; description: string }[];
  headers?: { name: string; description: string }[];
  body?: RequestName;
}

const JSON_TYPE = 'application/json';
const RUN_ID = { name: 'id', description: 'Run id (a lowercase UUIDv7).' };

export const OPERATIONS: readonly Operation[] = [
  {
    method: 'post', path: '/build', tag: 'runs', keyed: true, body: 'BuildRequest',
    summary: 'Build a run for these params, or reuse the tenant\'s run with the same signature',
    ok: { '202': { description: 'A new run was created and its first execution started.', schema: 'BuildResponse' }, '200': { description: 'An identical run exists and is reused (`reused: true`).', schema: 'BuildResponse' } },
    errors: [400, 401, 413, 415, 429, 503],
    headers: [{ name: 'X-Gemini-Api-Key', description: 'A Gemini key for this run only; accepted only when ALLOW_REQUEST_GEMINI_KEY=true and the job launcher is local. Never stored or logged.' }],
  },
  {
    method: 'get', path: '/runs', tag: 'runs', keyed: true,
    summary: 'The tenant\'s runs, newest first (deleted runs hidden)',
    ok: { '200': { description: 'One page; follow `nextCursor` until it is null. A filtered page may hold fewer than `limit` runs.', schema: 'RunPage' } },
    errors: [400, 401, 429, 503],
    query: [
      { name: 'limit', description: 'Runs per page, 1–100 (default 50).' },
      { name: 'cursor', description: 'The `nextCursor` of the previous page (opaque).' },
      { name: 'status', description: 'Only runs with this status.' },
    ],
  },
  {
    method: 'get', path: '/latest', tag: 'runs', keyed: true,
    summary: 'The tenant\'s newest run',
    ok: { '200': { description: 'Its summary and links.', schema: 'LatestRun' } },
    errors: [401, 404, 429, 503],
  },
  {
    method: 'get', path: '/runs/:id', tag: 'ui', keyed: false,
    summary: 'The run page (HTML); public by link. Unknown or deleted runs get an HTML 404',
    ok: { '200': { description: 'The page.', type: 'text/html' } },
    errors: [404, 503],
  },
  {
    method: 'get', path: '/runs/:id/run.json', tag: 'reads', keyed: false,
    summary: 'The projection (run.json), rebuilt from the log when it lags; public by link',
    ok: { '200': { description: 'run.json; `ETag` is `"<lastSeq>"`.', schema: 'RunJson' }, '304': { description: 'Unchanged since `If-None-Match`.' } },
    errors: [400, 404, 410, 503],
    headers: [{ name: 'If-None-Match', description: 'An ETag from an earlier answer.' }],
  },
  {
    method: 'get', path: '/runs/:id/events', tag: 'reads', keyed: false,
    summary: 'The event log as JSONL, or with `Accept: text/event-stream` a live SSE tail that ends (`event: end`) when the run is terminal',
    ok: { '200': { description: 'JSONL (one event per line), or SSE with `id: <seq>` per event.', type: 'application/x-ndjson' } },
    errors: [400, 404, 410, 503],
    query: [{ name: 'after', description: 'Only events with a greater seq.' }],
    headers: [{ name: 'Last-Event-ID', description: 'SSE: resume after this seq.' }],
  },
  {
    method: 'get', path: '/runs/:id/artifacts/:name', tag: 'reads', keyed: false,
    summary: 'An artifact the run lists in run.json; any other name is 404',
    ok: { '200': { description: 'The artifact, with its content type.', type: '*/*' } },
    errors: [400, 404, 410, 503],
  },
  {
    method: 'post', path: '/runs/:id/nodes/:node/retry', tag: 'operations', keyed: true,
    summary: 'Operator retry: reset a failed or cancelled node and everything downstream, and start an execution',
    ok: { '202': { description: 'Retry recorded and execution started.', schema: 'ExecutionResponse' } },
    errors: [400, 401, 404, 409, 429, 503],
  },
  {
    method: 'post', path: '/runs/:id/resume', tag: 'operations', keyed: true,
    summary: 'Start a fresh execution of an unfinished run',
    ok: { '202': { description: 'Execution requested and started.', schema: 'ExecutionResponse' } },
    errors: [400, 401, 404, 409, 429, 503],
  },
  {
    method: 'post', path: '/runs/:id/cancel', tag: 'operations', keyed: true,
    summary: 'Cancel the run',
    ok: { '202': { description: 'Cancel recorded (immediate when nothing was running).', schema: 'CancelResponse' } },
    errors: [400, 401, 404, 409, 429, 503],
  },
  {
    method: 'delete', path: '/runs/:id', tag: 'operations', keyed: true,
    summary: 'Soft delete: the run leaves the listing, its links answer 404/410, its dedup claim is released',
    ok: { '200': { description: 'Deleted.', schema: 'DeleteResponse' } },
    errors: [400, 401, 404, 429, 503],
  },
  {
    method: 'get', path: '/health', tag: 'system', keyed: false,
    summary: 'Backends and versions; never a secret',
    ok: { '200': { description: 'Health.', schema: 'Health' } },
    errors: [],
  },
  {
    method: 'post', path: '/internal/reconcile', tag: 'internal', keyed: false,
    summary: 'One reconcile sweep of the active runs (Cloud Scheduler). Needs `Authorization: Bearer <RECONCILE_TOKEN>`; answers 404 when no token is configured',
    ok: { '200': { description: 'What the sweep did.', schema: 'ReconcileCounts' } },
    errors: [401, 404],
  },
  {
    method: 'get', path: '/openapi.json', tag: 'system', keyed: false,
    summary: 'This document',
    ok: { '200': { description: 'OpenAPI 3.1.', type: JSON_TYPE } },
    errors: [],
  },
  {
    method: 'get', path: '/', tag: 'ui', keyed: false,
    summary: 'The operator console (HTML)',
    ok: { '200': { description: 'HTML.', type: 'text/html' } },
    errors: [],
  },
  {
    method: 'get', path: '/assets/vendor/:file', tag: 'ui', keyed: false,
    summary: 'A vendored browser module of the UI (marked, DOMPurify); other UI assets are static files under /assets',
    ok: { '200': { description: 'JavaScript.', type: 'text/javascript' } },
    errors: [404],
  },
  {
    method: 'get', path: '/artifact/:id/:name', tag: 'aliases', keyed: false,
    summary: 'Alias of /runs/{id}/artifacts/{name}',
    ok: { '200': { description: 'The artifact.', type: '*/*' } },
    errors: [400, 404, 410, 503],
  },
  {
    method: 'get', path: '/artifact/:id/image/:name', tag: 'aliases', keyed: false,
    summary: 'An image artifact (.svg, .png) of the run',
    ok: { '200': { description: 'The image.', type: 'image/svg+xml' } },
    errors: [400, 404, 410, 503],
  },
  {
    method: 'get', path: '/run/:id/node_events', tag: 'aliases', keyed: false,
    summary: 'The node events of the log (`node.*`)',
    ok: { '200': { description: '`{runId, events}`.', schema: 'NodeEvents' } },
    errors: [400, 404, 410, 503],
  },
  {
    method: 'get', path: '/run/:id/normalization', tag: 'aliases', keyed: false,
    summary: 'What output validation rejected, per failed attempt, as recorded in the log',
    ok: { '200': { description: '`{runId, attempts: [{node, attempt, seq, at, error, issues}]}`.', schema: 'Normalization' } },
    errors: [400, 404, 410, 503],
  },
  {
    method: 'get', path: '/run/:id/logs/:name', tag: 'aliases', keyed: false,
    summary: 'A named log stream of the run as JSONL: `events` (all), `nodes`, `executions`',
    ok: { '200': { description: 'JSONL.', type: 'application/x-ndjson' } },
    errors: [400, 404, 410, 503],
  },
];

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid input; `details` name the offending fields or parameters.',
  401: 'No API key, or an unknown one.',
  404: 'Unknown (or another tenant\'s) run, node or artifact.',
  409: 'Illegal in the run\'s current state.',
  410: 'The run was deleted.',
  413: 'Body too large.',
  415: 'Body is not JSON.',
  429: 'Rate limited; see `Retry-After`.',
  503: 'A backend (store, model key) is unavailable.',
};

/** `/runs/:id` → `/runs/{id}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

const ref = (name: ResponseName | RequestName) => ({ $ref: `#/components/schemas/${name}` });

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of one zod schema, without the document-level keywords. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/**
 * The components: request bodies as the routes accept them (`io: input`, so
 * defaults are optional), responses as the API sends them (`io: output`).
 * A named schema used inside another becomes a `$ref`.
 */
function schemas(): Record<string, unknown> {
  const generate = (named: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, unknown> => {
    const registry = z.registry<{ id: string }>();
    for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
    const { schemas: out } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
    return Object.fromEntries(Object.entries(out).map(([id, s]) => {
      const { $schema: _schema, $id: _id, ...rest } = s as Record<string, unknown>;
      return [id, rest];
    }));
  };
  return { ...generate(REQUEST_SCHEMAS, 'input'), ...generate(RESPONSE_SCHEMAS, 'output') };
}

export function openApiDocument(config: Config): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const path = toOpenApiPath(op.path);
    const pathParams = [...op.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string);
    const parameters = [
      ...pathParams.map((name) => ({
        name, in: 'path', required: true,
        description: name === 'id' ? RUN_ID.description : name === 'node' ? 'Node id, e.g. `drivers`.' : name === 'name' ? 'Artifact or stream name.' : name === 'file' ? 'File name.' : name,
        schema: { type: 'string' },
      })),
      ...(op.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: jsonSchema(QUERY_SCHEMAS[q.name], 'input') })),
      ...(op.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: false, description: h.description, schema: { type: 'string' } })),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(op.ok)) {
      const type = r.type ?? (r.schema ? JSON_TYPE : undefined);
      responses[status] = { description: r.description, ...(type ? { content: { [type]: { schema: r.schema ? ref(r.schema) : {} } } } : {}) };
    }
    for (const status of op.errors) {
      responses[String(status)] = { description: STATUS_TEXT[status] ?? 'Error.', content: { [JSON_TYPE]: { schema: ref('Error') } } };
    }
    paths[path] ??= {};
    paths[path][op.method] = {
      operationId: `${op.method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: op.summary,
      tags: [op.tag],
      ...(op.keyed ? { security: [{ apiKey: [] }, { bearer: [] }] } : { security: op.tag === 'internal' ? [{ reconcileToken: [] }] : [] }),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { [JSON_TYPE]: { schema: ref(op.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ScenarioForge orchestrator',
      version: config.appVersion,
      description: 'Turns POST /build into an event-sourced run executed as a Cloud Run Job. Errors are `{"error":{"code","message","details?"}}`.',
    },
    servers: config.publicBaseUrl ? [{ url: config.publicBaseUrl }] : [{ url: '/' }],
    tags: [
      { name: 'runs', description: 'Build and list (API key).' },
      { name: 'operations', description: 'Owner operations on a run (API key of the owning tenant).' },
      { name: 'reads', description: 'Public reads of a run, by link.' },
      { name: 'aliases', description: 'Seed-compatible read aliases.' },
      { name: 'system', description: 'Health and this document.' },
      { name: 'ui', description: 'The browser UI (HTML pages and their assets).' },
      { name: 'internal', description: 'For the platform (Cloud Scheduler), behind their own token; never public.' },
    ],
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
        reconcileToken: { type: 'http', scheme: 'bearer', description: 'RECONCILE_TOKEN (Secret Manager), for /internal routes only.' },
      },
      schemas: schemas(),
    },
    paths,
  };
}
