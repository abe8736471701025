/**
 * The model port: one structured-output call per pipeline node. Adapters:
 * Gemini (`gemini-model.ts`, the real `@google/genai`) and offline
 * (`offline-model.ts`, deterministic, for demos and tests). Adapters know
 * nothing of the pipeline beyond the request; retries belong to the runner,
 * so every attempt is its own event in the log.
 */
import type { BuildParams } from '../domain/params.ts';
import type { TokenUsage } from '../domain/events.ts';

export interface ModelRequest {
  /** Who is asking (the pipeline passes its node id): opaque to adapters, used for logging, or (offline) as the key of the responder that answers. */
  node: string;
  /** The full prompt text; user data sits inside its delimited data block. */
  prompt: string;
  /** JSON Schema (derived from the node's zod schema) the answer must satisfy. */
  schema: Record<string, unknown>;
  /** The same data the prompt's data block carries, as structured values. */
  context: { params: BuildParams; inputs: Record<string, unknown> };
  /** Aborts the call (cancellation, SIGTERM); adapters add their own per-call timeout. */
  signal: AbortSignal;
}

export interface ModelResponse {
  /** The parsed JSON answer, not yet validated against the schema (the node does that). */
  json: unknown;
  usage: TokenUsage;
  /** The model id that answered, e.g. `gemini-2.5-flash` or `offline-library-v1`. */
  model: string;
}

export interface ModelClient {
  readonly provider: 'gemini' | 'offline';
  readonly model: string;
  generate(req: ModelRequest): Promise<ModelResponse>;
}

/** What a model call can fail with. The runner records `code` and decides retries from `retryable`. */
export type ModelErrorCode =
  | 'rate_limited'
  | 'model_unavailable'
  | 'model_error'
  | 'timeout'
  | 'max_tokens'
  | 'safety_blocked'
  | 'bad_request'
  | 'permission_denied'
  | 'not_found'
  | 'invalid_json'
  | 'network_error'
  | 'cancelled';

export interface ModelErrorOptions {
  retryable: boolean;
  status?: number;
  /** Server-suggested wait before the next attempt (google.rpc.RetryInfo), when given. */
  retryAfterMs?: number;
  /** Tokens the failed call still consumed (e.g. a MAX_TOKENS answer), when known. */
  usage?: TokenUsage;
  cause?: unknown;
}

/**
 * Thrown when a model call fails: an HTTP error from the provider, a timeout,
 * a truncated, blocked or unparsable answer, or a cancellation. Never carries
 * the API key in its message.
 */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  code: string;
  retryable: boolean;
  status?: number;
  retryAfterMs?: number;
  usage?: TokenUsage;

  constructor(code: ModelErrorCode, message: string, options: ModelErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.usage !== undefined) this.usage = options.usage;
  }
}
