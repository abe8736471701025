/**
 * The offline model: a deterministic ModelClient for demos, local runs and
 * tests. It knows nothing of the pipeline: it answers each request with the
 * responder registered under the request's `node` key, an opaque string the
 * caller chooses (the composition root hands in the responders, which live
 * beside the nodes that send the requests). A key with no responder gets a
 * minimal schema-valid instance of the schema it sends. Responders must be
 * pure functions of the request, so the same request gets the same answer.
 */
import type { ModelClient, ModelRequest, ModelResponse } from './model-client.ts';
import { sampleFromJsonSchema } from './json-schema-sample.ts';
import { ModelError } from './model-client.ts';

export const OFFLINE_MODEL_ID = 'offline-library-v1';

/** What a responder reads: the request without its signal (the adapter owns waiting and cancelling). */
export type OfflineRequest = Pick<ModelRequest, 'node' | 'schema' | 'context'>;

/**
 * Answers one kind of request offline with plain JSON, deterministically.
 * May throw a ModelError (e.g. `bad_request` when the request carries too
 * little to answer from), which the caller sees as the model's failure.
 */
export type OfflineResponder = (req: OfflineRequest) => unknown;

/** Responders by the `node` key of the requests they answer. */
export type OfflineResponders = Readonly<Record<string, OfflineResponder>>;

export interface OfflineModelOptions {
  responders: OfflineResponders;
  /** Simulated latency per call, abortable by the request's signal. Default 0. */
  latencyMs?: number;
}

/** The offline answer to a request: its responder's, or a minimal instance of its schema when it has none. */
export function answerOffline(responders: OfflineResponders, req: OfflineRequest): unknown {
  // Own keys only: a key such as "constructor" must not reach Object.prototype.
  const responder = Object.hasOwn(responders, req.node) ? responders[req.node] : undefined;
  return responder ? responder(req) : sampleFromJsonSchema(req.schema);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () => new ModelError('cancelled', 'the model call was cancelled', { retryable: false });
    if (signal.aborted) return reject(cancelled());
    if (ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const tokens = (text: string) => Math.ceil(text.length / 4);

export function getOfflineModel(options: OfflineModelOptions): ModelClient {
  const latencyMs = Math.max(0, options.latencyMs ?? 0);
  const { responders } = options;
  return {
    provider: 'offline',
    model: OFFLINE_MODEL_ID,
    async generate(req: ModelRequest): Promise<ModelResponse> {
      await sleep(latencyMs, req.signal);
      const json = answerOffline(responders, req);
      return { json, usage: { promptTokens: tokens(req.prompt), outputTokens: tokens(JSON.stringify(json)) }, model: OFFLINE_MODEL_ID };
    },
  };
}
