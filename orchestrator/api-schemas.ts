/**
 * The shapes of what the API answers, as zod schemas: `/openapi.json` is
 * generated from them (with the request schemas the routes validate with),
 * and the tests parse real answers with them, so the document cannot describe
 * a shape the API does not send. run.json is described loosely: its full
 * shape is `RunState` (shared/domain/run-state.ts), and new event types may
 * add to it.
 */
import { z } from 'zod';
import { buildRequestSchema } from '../shared/domain/params.ts';

export const runStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);

export const runLinksSchema = z.object({
  ui: z.string().describe('The run page (HTML, public).'),
  runJson: z.string(),
  events: z.string(),
});

const warnings = z.array(z.string()).optional().describe('What the server chose on the caller\'s behalf (e.g. the offline model).');
const count = z.number().int().nonnegative();
const progressSchema = z.object({ done: count, total: count });

export const buildResponseSchema = z.object({ runId: z.string(), status: runStatusSchema, reused: z.boolean(), links: runLinksSchema, warnings });
export const executionResponseSchema = z.object({ runId: z.string(), status: runStatusSchema, executionId: z.string(), links: runLinksSchema, warnings });
export const cancelResponseSchema = z.object({ runId: z.string(), status: runStatusSchema, cancelRequested: z.boolean(), links: runLinksSchema });
export const deleteResponseSchema = z.object({ runId: z.string(), deleted: z.literal(true) });

export const runSummarySchema = z.object({
  runId: z.string(),
  label: z.string(),
  status: runStatusSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  progress: progressSchema,
});
/** `GET /latest`: the newest run's summary with its links. */
export const latestRunSchema = runSummarySchema.extend({ links: runLinksSchema });
export const runPageSchema = z.object({
  runs: z.array(runSummarySchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last.'),
});

const lastAttemptSchema = z.looseObject({
  n: count,
  status: z.enum(['running', 'succeeded', 'failed', 'abandoned', 'cancelled']),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  error: z.looseObject({ code: z.string(), message: z.string(), retryable: z.boolean() }).nullable(),
});
const nodeStateSchema = z.looseObject({
  status: z.enum(['pending', 'running', 'succeeded', 'failed', 'cancelled']),
  deps: z.array(z.string()),
  attempts: count,
  lastAttempt: lastAttemptSchema.nullable(),
  artifacts: z.array(z.string()),
});
const nullableString = z.string().nullable();
/** One execution of a run, as run.json folds it (DESIGN §3, §11). */
export const executionSchema = z.looseObject({
  id: z.string(),
  reason: z.enum(['build', 'retry', 'resume', 'recover']),
  requestedAt: z.string(),
  launchedAs: nullableString.optional().describe('What the launcher answered: the Cloud Run execution name, or local:<pid> / worker:<pid>:<id>'),
  launchedAt: nullableString.optional().describe('When it was last launched (a relaunch after LAUNCH_GRACE_S moves it)'),
  startedAt: nullableString.optional(),
  heartbeatAt: nullableString.optional().describe('Its last lease renewal'),
  leaseExpiresAt: nullableString.optional(),
  endedAt: nullableString.optional(),
  outcome: z.enum(['succeeded', 'failed', 'cancelled', 'interrupted', 'lost']).nullable().optional(),
  endReason: nullableString.optional().describe('Why the reconciler closed it (outcome lost)'),
});

export const runJsonSchema = z.looseObject({
  runId: z.string(),
  tenant: z.string(),
  label: z.string(),
  status: runStatusSchema,
  deleted: z.boolean(),
  cancelRequested: z.boolean(),
  signature: z.string(),
  params: z.record(z.string(), z.unknown()),
  pipelineVersion: z.string(),
  appVersion: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastSeq: count,
  progress: progressSchema,
  nodes: z.record(z.string(), nodeStateSchema),
  executions: z.array(executionSchema),
  usage: z.looseObject({ promptTokens: count, outputTokens: count }),
}).describe('The fold of events.jsonl (DESIGN §3); fields may be added as the log grows new event types.');

/** What reconcile counted in one sweep (POST /internal/reconcile). */
export const reconcileCountsSchema = z.strictObject({
  visited: count.describe('Active runs looked at'),
  closed: count.describe('Executions closed as lost (or pending cancels confirmed)'),
  recovered: count.describe('New executions requested with reason recover'),
  relaunched: count.describe('Requested executions launched again under their own id'),
  failed: count.describe('Runs failed with code executions_exhausted'),
  left: count.describe('Entries that left the active index (settled, deleted, or never logged)'),
});

const eventSchema = z.looseObject({ v: z.number().int(), seq: count, id: z.string(), type: z.string(), at: z.string(), data: z.unknown() });
export const nodeEventsSchema = z.object({ runId: z.string(), events: z.array(eventSchema) });
export const normalizationSchema = z.object({
  runId: z.string(),
  attempts: z.array(z.object({ node: z.string(), attempt: count, seq: count, at: z.string(), error: z.unknown(), issues: z.unknown() })),
});

export const healthSchema = z.strictObject({
  status: z.string(),
  storage_backend: z.enum(['local', 'gcs']),
  job_backend: z.enum(['local', 'cloudrun']),
  local_job_mode: z.enum(['process', 'worker']).optional().describe('With job_backend local: one job process per execution, or one long-lived job worker'),
  pubsub: z.enum(['on', 'off']),
  llm_provider: z.enum(['gemini', 'offline']),
  api_key_source: z.enum(['header', 'env', 'none']),
  version: z.string(),
  pipeline_version: z.string(),
});

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('The offending fields, route, query or header parameters.'),
  }),
});

/** Every named response body: the OpenAPI component name → its schema. */
export const RESPONSE_SCHEMAS = {
  RunStatus: runStatusSchema,
  BuildResponse: buildResponseSchema,
  ExecutionResponse: executionResponseSchema,
  CancelResponse: cancelResponseSchema,
  DeleteResponse: deleteResponseSchema,
  RunLinks: runLinksSchema,
  RunSummary: runSummarySchema,
  LatestRun: latestRunSchema,
  RunPage: runPageSchema,
  RunJson: runJsonSchema,
  NodeEvents: nodeEventsSchema,
  Normalization: normalizationSchema,
  Health: healthSchema,
  ReconcileCounts: reconcileCountsSchema,
  Error: errorBodySchema,
} as const;
export type ResponseName = keyof typeof RESPONSE_SCHEMAS;

/** Every named request body, as the routes validate it. */
export const REQUEST_SCHEMAS = {
  BuildRequest: buildRequestSchema,
} as const;
export type RequestName = keyof typeof REQUEST_SCHEMAS;

/** Query parameters, as `queryInt`/`queryString` in request-input.ts enforce them. */
export const QUERY_SCHEMAS = {
  limit: z.number().int().min(1).max(100).default(50),
  cursor: z.string().max(512).regex(/^[A-Za-z0-9_-]+$/),
  status: runStatusSchema,
  after: z.number().int().min(0),
} as const;
