/**
 * The Gemini adapter: the real `@google/genai` SDK, structured output
 * (`responseMimeType: application/json` + `responseJsonSchema`), one call per
 * `generate`, no SDK retries (the runner retries, so every attempt is an
 * event). Failures become `ModelError`s with a code and a retryable verdict.
 * The API key never appears in an error message or a log line.
 */
import { ApiError, GoogleGenAI } from '@google/genai';
import type { GenerateContentResponse } from '@google/genai';
import type { TokenUsage } from '../domain/events.ts';
import type { ModelClient, ModelRequest, ModelResponse } from './model-client.ts';
import { ModelError } from './model-client.ts';

export const DEFAULT_GEMINI_MODEL = 'gemini-2.5-flash';
export const DEFAULT_GEMINI_TIMEOUT_MS = 120_000;

export interface GeminiModelOptions {
  apiKey: string;
  model?: string;
  /** e.g. a local stub `http://127.0.0.1:PORT`; defaults to Google's endpoint. */
  baseUrl?: string;
  /** Per call; the call is aborted and fails as `timeout` (retryable). */
  timeoutMs?: number;
  apiVersion?: 'v1beta';
}

const SAFETY_FINISH = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'LANGUAGE']);

/** Removes the key from any text that might echo it (belt and braces: the SDK sends it as a header). */
function redact(text: string, apiKey: string): string {
  return apiKey.length >= 4 ? text.split(apiKey).join('[redacted]') : text;
}

interface GoogleErrorBody {
  message?: string;
  status?: string;
  details?: unknown[];
}

/** The SDK's ApiError message is the JSON error body; pull the useful parts out of it. */
function parseApiErrorBody(message: string): GoogleErrorBody {
  try {
    const parsed = JSON.parse(message) as { error?: GoogleErrorBody };
    return parsed.error ?? {};
  } catch {
    return { message };
  }
}

/** google.rpc.RetryInfo `retryDelay` ("17s", "0.5s") in milliseconds. */
function retryDelayMs(details: unknown[] | undefined): number | undefined {
  for (const d of details ?? []) {
    if (typeof d !== 'object' || d === null) continue;
    const detail = d as { '@type'?: unknown; retryDelay?: unknown };
    if (typeof detail['@type'] === 'string' && detail['@type'].endsWith('google.rpc.RetryInfo') && typeof detail.retryDelay === 'string') {
      const m = /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay.trim());
      if (m?.[1]) return Math.round(Number(m[1]) * 1000);
    }
  }
  return undefined;
}

function hasApiKeyInvalidReason(details: unknown[] | undefined): boolean {
  return (details ?? []).some((d) => typeof d === 'object' && d !== null && (d as { reason?: unknown }).reason === 'API_KEY_INVALID');
}

function fromApiError(err: ApiError, apiKey: string, model: string): ModelError {
  const body = parseApiErrorBody(err.message);
  const status = err.status;
  const what = redact(`${body.status ?? `HTTP ${status}`}: ${body.message ?? 'no message'}`, apiKey).slice(0, 500);
  const base = { status };
  if (status === 429) {
    const retryAfterMs = retryDelayMs(body.details);
    return new ModelError('rate_limited', `Gemini rate limit or quota exceeded (${what})`, { ...base, retryable: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (status === 401 || status === 403 || (status === 400 && hasApiKeyInvalidReason(body.details))) {
    return new ModelError('permission_denied', `Gemini refused the API key or the caller (${what})`, { ...base, retryable: false });
  }
  if (status === 400) return new ModelError('bad_request', `Gemini rejected the request (${what})`, { ...base, retryable: false });
  if (status === 404) return new ModelError('not_found', `Gemini has no model "${model}" at this API version (${what})`, { ...base, retryable: false });
  if (status === 408 || status === 504) return new ModelError('timeout', `Gemini timed out (${what})`, { ...base, retryable: true });
  if (status === 503) return new ModelError('model_unavailable', `Gemini is unavailable (${what})`, { ...base, retryable: true });
  if (status >= 500) return new ModelError('model_error', `Gemini failed (${what})`, { ...base, retryable: true });
  return new ModelError('bad_request', `Gemini answered ${status} (${what})`, { ...base, retryable: false });
}

function usageOf(res: GenerateContentResponse): TokenUsage {
  const u = res.usageMetadata;
  return {
    promptTokens: u?.promptTokenCount ?? 0,
    // Thinking tokens are billed as output.
    outputTokens: (u?.candidatesTokenCount ?? 0) + (u?.thoughtsTokenCount ?? 0),
  };
}

/** The answer's text parts (not thoughts), joined; read directly to avoid the SDK's console warnings. */
function answerText(res: GenerateContentResponse): string | undefined {
  const parts = res.candidates?.[0]?.content?.parts;
  if (!parts) return undefined;
  const texts = parts.filter((p) => typeof p.text === 'string' && p.thought !== true).map((p) => p.text as string);
  return texts.length ? texts.join('') : undefined;
}

function parseJsonAnswer(text: string): unknown {
  const trimmed = text.trim();
  // Structured output should be bare JSON; tolerate a fence if a model adds one.
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/i.exec(trimmed);
  return JSON.parse(fenced?.[1] ?? trimmed) as unknown;
}

export function getGeminiModel(options: GeminiModelOptions): ModelClient {
  const { apiKey } = options;
  if (!apiKey) throw new ModelError('permission_denied', 'no Gemini API key configured', { retryable: false });
  const model = options.model ?? DEFAULT_GEMINI_MODEL;
  const timeoutMs = options.timeoutMs ?? DEFAULT_GEMINI_TIMEOUT_MS;
  const ai = new GoogleGenAI({
    apiKey,
    apiVersion: options.apiVersion ?? 'v1beta',
    ...(options.baseUrl ? { httpOptions: { baseUrl: options.baseUrl } } : {}),
  });

  async function generate(req: ModelRequest): Promise<ModelResponse> {
    if (req.signal.aborted) throw new ModelError('cancelled', 'the model call was cancelled', { retryable: false });
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const abortSignal = AbortSignal.any([req.signal, timeout.signal]);
    let res: GenerateContentResponse;
    try {
      res = await ai.models.generateContent({
        model,
        contents: req.prompt,
        config: { responseMimeType: 'application/json', responseJsonSchema: req.schema, abortSignal },
      });
    } catch (err) {
      if (req.signal.aborted) throw new ModelError('cancelled', 'the model call was cancelled', { retryable: false });
      if (timeout.signal.aborted) throw new ModelError('timeout', `no answer from Gemini within ${timeoutMs} ms`, { retryable: true });
      if (err instanceof ApiError) throw fromApiError(err, apiKey, model);
      const message = redact(err instanceof Error ? err.message : String(err), apiKey).slice(0, 300);
      throw new ModelError('network_error', `could not reach Gemini: ${message}`, { retryable: true });
    } finally {
      clearTimeout(timer);
    }

    const usage = usageOf(res);
    const blockReason = res.promptFeedback?.blockReason;
    if (blockReason) {
      throw new ModelError('safety_blocked', `Gemini blocked the prompt (${blockReason})`, { retryable: false, usage });
    }
    const finishReason = res.candidates?.[0]?.finishReason;
    if (finishReason === 'MAX_TOKENS') {
      throw new ModelError('max_tokens', 'the answer hit the output token limit before it was complete', { retryable: true, usage });
    }
    if (finishReason && SAFETY_FINISH.has(finishReason)) {
      throw new ModelError('safety_blocked', `Gemini stopped the answer (${finishReason})`, { retryable: false, usage });
    }
    const text = answerText(res);
    if (text === undefined) {
      throw new ModelError('model_error', `Gemini returned no answer text${finishReason ? ` (finishReason ${finishReason})` : ''}`, { retryable: true, usage });
    }
    let json: unknown;
    try {
      json = parseJsonAnswer(text);
    } catch {
      throw new ModelError('invalid_json', `the answer is not valid JSON (${text.length} characters)`, { retryable: true, usage });
    }
    return { json, usage, model: res.modelVersion ?? model };
  }

  return { provider: 'gemini', model, generate };
}
