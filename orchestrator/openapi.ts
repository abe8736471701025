/**
 * The API described in OpenAPI 3.1, served at /openapi.json. The operation
 * table below is the description; a test holds it to the routes Express
 * really has, both ways. The build body's schema is derived from the same zod
 * schema that validates it.
 */
import { z } from 'zod';
import type { Config } from '../shared/config.ts';
import { buildRequestSchema } from '../shared/domain/params.ts';

type Method = 'get' | 'post' | 'delete';

interface Operation {
  method: Method;
  /** Express path syntax (`/runs/:id`). */
  path: string;
  summary: string;
  keyed: boolean;
  tag: 'runs' | 'operations' | 'reads' | 'aliases' | 'system' | 'ui';
  /** Success answers: status → description and media type. */
  ok: Record<string, { description: string; type?: string; schema?: string }>;
  /** Error statuses this operation may answer. */
  errors: number[];
  query?: { name: string; description: string; schema: Record<string, unknown> }[];
  headers?: { name: string; description: string }[];
  body?: boolean;
}

const JSON_TYPE = 'application/json';
const RUN_ID = { name: 'id', description: 'Run id (a lowercase UUIDv7).' };

export const OPERATIONS: readonly Operation[] = [
  {
    method: 'post', path: '/build', tag: 'runs', keyed: true, body: true,
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
      { name: 'limit', description: 'Runs per page, 1–100 (default 50).', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
      { name: 'cursor', description: 'The `nextCursor` of the previous page (opaque).', schema: { type: 'string' } },
      { name: 'status', description: 'Only runs with this status.', schema: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] } },
    ],
  },
  {
    method: 'get', path: '/latest', tag: 'runs', keyed: true,
    summary: 'The tenant\'s newest run',
    ok: { '200': { description: 'Its summary and links.', schema: 'RunSummary' } },
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
    query: [{ name: 'after', description: 'Only events with a greater seq.', schema: { type: 'integer', minimum: 0 } }],
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

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function schemas(): Record<string, unknown> {
  const { $schema: _ignored, ...buildRequest } = z.toJSONSchema(buildRequestSchema) as Record<string, unknown>;
  const status = { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] };
  const links = { type: 'object', properties: { ui: { type: 'string' }, runJson: { type: 'string' }, events: { type: 'string' } }, required: ['ui', 'runJson', 'events'] };
  const warnings = { type: 'array', items: { type: 'string' } };
  const progress = { type: 'object', properties: { done: { type: 'integer' }, total: { type: 'integer' } } };
  const summary = {
    type: 'object',
    properties: { runId: { type: 'string' }, label: { type: 'string' }, status, createdAt: { type: 'string' }, updatedAt: { type: 'string' }, progress, links },
    required: ['runId', 'label', 'status', 'createdAt', 'updatedAt', 'progress'],
  };
  return {
    BuildRequest: buildRequest,
    BuildResponse: { type: 'object', properties: { runId: { type: 'string' }, status, reused: { type: 'boolean' }, links, warnings }, required: ['runId', 'status', 'reused', 'links'] },
    ExecutionResponse: { type: 'object', properties: { runId: { type: 'string' }, status, executionId: { type: 'string' }, links, warnings }, required: ['runId', 'status', 'executionId', 'links'] },
    CancelResponse: { type: 'object', properties: { runId: { type: 'string' }, status, cancelRequested: { type: 'boolean' }, links } },
    DeleteResponse: { type: 'object', properties: { runId: { type: 'string' }, deleted: { const: true } } },
    RunSummary: summary,
    RunPage: { type: 'object', properties: { runs: { type: 'array', items: summary }, nextCursor: { type: ['string', 'null'] } }, required: ['runs', 'nextCursor'] },
    RunJson: {
      type: 'object',
      description: 'The fold of events.jsonl (DESIGN §3).',
      properties: {
        runId: { type: 'string' }, tenant: { type: 'string' }, label: { type: 'string' }, status, deleted: { type: 'boolean' },
        signature: { type: 'string' }, params: { type: 'object' }, pipelineVersion: { type: 'string' }, appVersion: { type: 'string' },
        createdAt: { type: 'string' }, updatedAt: { type: 'string' }, lastSeq: { type: 'integer' }, progress,
        nodes: { type: 'object', additionalProperties: { type: 'object' } }, executions: { type: 'array', items: { type: 'object' } },
        usage: { type: 'object' },
      },
    },
    NodeEvents: { type: 'object', properties: { runId: { type: 'string' }, events: { type: 'array', items: { type: 'object' } } } },
    Normalization: { type: 'object', properties: { runId: { type: 'string' }, attempts: { type: 'array', items: { type: 'object' } } } },
    Health: {
      type: 'object',
      properties: {
        status: { type: 'string' }, storage_backend: { type: 'string', enum: ['local', 'gcs'] }, job_backend: { type: 'string', enum: ['local', 'cloudrun'] },
        local_job_mode: { type: 'string', enum: ['process', 'worker'], description: 'With job_backend local: one job process per execution, or one long-lived job worker' },
        pubsub: { type: 'string', enum: ['on', 'off'] }, llm_provider: { type: 'string', enum: ['gemini', 'offline'] },
        api_key_source: { type: 'string', enum: ['header', 'env', 'none'] }, version: { type: 'string' }, pipeline_version: { type: 'string' },
      },
      required: ['status', 'storage_backend', 'job_backend', 'pubsub', 'llm_provider', 'api_key_source', 'version', 'pipeline_version'],
      additionalProperties: false,
    },
    Error: {
      type: 'object',
      properties: {
        error: {
          type: 'object',
          properties: {
            code: { type: 'string' }, message: { type: 'string' },
            details: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } }, required: ['field', 'message'] } },
          },
          required: ['code', 'message'],
        },
      },
      required: ['error'],
    },
  };
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
      ...(op.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: q.schema })),
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
      ...(op.keyed ? { security: [{ apiKey: [] }, { bearer: [] }] } : { security: [] }),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { [JSON_TYPE]: { schema: ref('BuildRequest') } } } } : {}),
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
    ],
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: schemas(),
    },
    paths,
  };
}
