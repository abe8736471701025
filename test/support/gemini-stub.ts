/**
 * A local stand-in for the Gemini API's `POST /{version}/models/{model}:generateContent`,
 * for the real `@google/genai` client pointed at it with `httpOptions.baseUrl`.
 * Records every request (path, headers including x-goog-api-key, body); answers
 * with JSON generated for the schema it is sent; latency and faults are
 * scriptable per call.
 *
 * Default answers: a registered responder wins; otherwise a prompt that carries
 * a ScenarioForge node marker and data block is answered by the offline
 * library for that node from the data in the prompt (the stub sees only the
 * HTTP request); anything else gets a minimal instance of the request's
 * `responseJsonSchema`.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BuildParams } from '../../shared/domain/params.ts';
import { parsePrompt } from '../../job-runner/nodes/prompt.ts';
import { sampleFromJsonSchema } from '../../shared/llm/json-schema-sample.ts';
import { answerOffline } from '../../shared/llm/offline-model.ts';
import { OFFLINE_RESPONDERS } from '../../job-runner/nodes/index.ts';

export type GeminiFault =
  /** 429 RESOURCE_EXHAUSTED with a google.rpc.RetryInfo detail (default retryDelay "17s"). */
  | { kind: 'rate_limited'; retryDelay?: string }
  /** 500 INTERNAL */
  | { kind: 'server_error' }
  /** 503 UNAVAILABLE (model overloaded) */
  | { kind: 'unavailable' }
  /** 504 DEADLINE_EXCEEDED */
  | { kind: 'deadline_exceeded' }
  /** 400 INVALID_ARGUMENT */
  | { kind: 'bad_request' }
  /** 403 PERMISSION_DENIED */
  | { kind: 'permission_denied' }
  /** 404 NOT_FOUND (unknown model) */
  | { kind: 'not_found' }
  /** Never answers; the client's timeout or abort must end the call. */
  | { kind: 'hang' }
  /** 200 whose text part is not JSON. */
  | { kind: 'malformed_json' }
  /** 200 with a truncated answer and finishReason MAX_TOKENS. */
  | { kind: 'max_tokens' }
  /** 200 with promptFeedback.blockReason SAFETY and no candidates. */
  | { kind: 'safety_block' }
  /** 200 with a candidate stopped for finishReason SAFETY. */
  | { kind: 'safety_finish' };

export interface GeminiStubStep {
  fault?: GeminiFault;
  latencyMs?: number;
  /** Answer this JSON instead of the default. */
  json?: unknown;
}

export interface RecordedGeminiRequest {
  method: string;
  path: string;
  version: string | null;
  model: string | null;
  headers: Record<string, string>;
  body: unknown;
  /** The concatenated text parts of the request's contents. */
  prompt: string;
  /** generationConfig.responseJsonSchema, when sent. */
  schema: Record<string, unknown> | null;
}

export type GeminiResponder = (req: RecordedGeminiRequest) => unknown;

export interface GeminiStubOptions {
  /** Default latency per call (ms). */
  latencyMs?: number;
  /** When set, any other x-goog-api-key gets 400 API_KEY_INVALID, as Google answers. */
  apiKey?: string;
  responder?: GeminiResponder;
}

export interface GeminiStub {
  baseUrl: string;
  readonly requests: RecordedGeminiRequest[];
  /** Queue behaviour for the next calls, one step per call, in order. */
  script(...steps: GeminiStubStep[]): void;
  setResponder(responder: GeminiResponder | undefined): void;
  setLatency(ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

const PATH = /^\/([^/]+)\/models\/([^/:]+):generateContent$/;

const STATUS_TEXT: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, code: number, message: string, details?: unknown[]): void {
  sendJson(res, code, { error: { code, message, status: STATUS_TEXT[code] ?? 'UNKNOWN', ...(details ? { details } : {}) } });
}

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

function candidateResponse(text: string, finishReason: string, promptTokens: number, model: string) {
  const out = tokens(text);
  return {
    candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason, index: 0 }],
    usageMetadata: { promptTokenCount: promptTokens, candidatesTokenCount: out, totalTokenCount: promptTokens + out },
    modelVersion: model,
    responseId: `stub-${Math.random().toString(36).slice(2, 10)}`,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJsonOr(raw: string): unknown {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function promptOf(body: unknown): string {
  const contents = (body as { contents?: { parts?: { text?: unknown }[] }[] } | null)?.contents ?? [];
  return contents.flatMap((c) => c.parts ?? []).map((p) => (typeof p.text === 'string' ? p.text : '')).join('');
}

function schemaOf(body: unknown): Record<string, unknown> | null {
  const s = (body as { generationConfig?: { responseJsonSchema?: unknown } } | null)?.generationConfig?.responseJsonSchema;
  return typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : null;
}

/** The default answer: the offline library for a marked ScenarioForge prompt, else a schema sample. */
export function defaultAnswer(req: RecordedGeminiRequest): unknown {
  const { node, data } = parsePrompt(req.prompt);
  const d = data as { params?: unknown; inputs?: unknown } | null;
  if (node && d && typeof d.params === 'object' && d.params !== null) {
    const inputs = typeof d.inputs === 'object' && d.inputs !== null ? (d.inputs as Record<string, unknown>) : {};
    return answerOffline(OFFLINE_RESPONDERS, { node, schema: req.schema ?? {}, context: { params: d.params as BuildParams, inputs } });
  }
  return sampleFromJsonSchema(req.schema ?? { type: 'object' });
}

export async function startGeminiStub(options: GeminiStubOptions = {}): Promise<GeminiStub> {
  const requests: RecordedGeminiRequest[] = [];
  const queue: GeminiStubStep[] = [];
  let responder = options.responder;
  let latencyMs = options.latencyMs ?? 0;
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, `stub failure: ${err instanceof Error ? err.message : String(err)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://stub');
    const m = PATH.exec(url.pathname);
    const body = parseJsonOr(raw);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const recorded: RecordedGeminiRequest = {
      method: req.method ?? '',
      path: url.pathname,
      version: m?.[1] ?? null,
      model: m?.[2] ? decodeURIComponent(m[2]) : null,
      headers,
      body,
      prompt: promptOf(body),
      schema: schemaOf(body),
    };
    requests.push(recorded);

    if (req.method !== 'POST' || !m) return sendError(res, 404, `Requested entity was not found: ${req.method} ${url.pathname}`);
    const key = headers['x-goog-api-key'];
    if (!key) return sendError(res, 403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.');
    if (options.apiKey !== undefined && key !== options.apiKey) {
      return sendError(res, 400, 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
      ]);
    }

    const step = queue.shift() ?? {};
    const delay = step.latencyMs ?? latencyMs;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (res.destroyed) return;

    const model = recorded.model ?? 'unknown';
    const promptTokens = tokens(recorded.prompt);
    const fault = step.fault;
    switch (fault?.kind) {
      case 'rate_limited':
        return sendError(res, 429, 'Resource has been exhausted (e.g. check quota).', [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel' }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: fault.retryDelay ?? '17s' },
        ]);
      case 'server_error':
        return sendError(res, 500, 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
      case 'unavailable':
        return sendError(res, 503, 'The model is overloaded. Please try again later.');
      case 'deadline_exceeded':
        return sendError(res, 504, 'Deadline expired before operation could complete.');
      case 'bad_request':
        return sendError(res, 400, 'Invalid JSON payload received.');
      case 'permission_denied':
        return sendError(res, 403, 'The caller does not have permission');
      case 'not_found':
        return sendError(res, 404, `models/${model} is not found for API version ${recorded.version}, or is not supported for generateContent.`);
      case 'hang':
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      case 'malformed_json':
        return sendJson(res, 200, candidateResponse('{"answer": "this is not closed', 'STOP', promptTokens, model));
      case 'max_tokens':
        return sendJson(res, 200, candidateResponse('{"drivers": [{"name": "Pace of AI adop', 'MAX_TOKENS', promptTokens, model));
      case 'safety_block':
        return sendJson(res, 200, {
          promptFeedback: { blockReason: 'SAFETY', safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH' }] },
          usageMetadata: { promptTokenCount: promptTokens, totalTokenCount: promptTokens },
          modelVersion: model,
        });
      case 'safety_finish':
        return sendJson(res, 200, {
          candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'SAFETY', index: 0, safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true }] }],
          usageMetadata: { promptTokenCount: promptTokens, candidatesTokenCount: 0, totalTokenCount: promptTokens },
          modelVersion: model,
        });
      case undefined:
        break;
    }
    const answer = step.json !== undefined ? step.json : ((responder ? responder(recorded) : undefined) ?? defaultAnswer(recorded));
    return sendJson(res, 200, candidateResponse(JSON.stringify(answer), 'STOP', promptTokens, model));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    script: (...steps) => void queue.push(...steps),
    setResponder: (r) => void (responder = r),
    setLatency: (ms) => void (latencyMs = ms),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
