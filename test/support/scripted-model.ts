/**
 * A ModelClient for job tests: the real offline model underneath, with calls
 * counted per node and failures scripted per node (a queue of errors served
 * before the real answer). Everything else is the product's own code path.
 */
import { ModelError, type ModelClient, type ModelRequest, type ModelResponse } from '../../shared/llm/model-client.ts';
import { getOfflineModel } from '../../shared/llm/offline-model.ts';
import { OFFLINE_RESPONDERS } from '../../job-runner/nodes/index.ts';

export interface ScriptedModel extends ModelClient {
  readonly calls: string[];
  /** The next calls of `node` fail with these errors, in order. */
  failNext(node: string, ...errors: ModelError[]): void;
  /** Every call of `node` fails with this error until `heal(node)`. */
  failAlways(node: string, error: ModelError): void;
  heal(node: string): void;
  /** The next `times` calls of `node` never answer: they end only when their signal aborts. */
  hangNext(node: string, times?: number): void;
}

/** A call that never answers: it rejects (cancelled) only when its signal aborts, as a model adapter does. */
function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const cancelled = () => reject(new ModelError('cancelled', 'the model call was cancelled', { retryable: false }));
    if (signal.aborted) return cancelled();
    signal.addEventListener('abort', cancelled, { once: true });
  });
}

export const unavailable = () => new ModelError('model_unavailable', 'The model is overloaded (503)', { retryable: true, status: 503 });
export const denied = () => new ModelError('permission_denied', 'API key not valid (403)', { retryable: false, status: 403 });

export function getScriptedModel(latencyMs = 0): ScriptedModel {
  const inner = getOfflineModel({ responders: OFFLINE_RESPONDERS, latencyMs });
  const calls: string[] = [];
  const queued = new Map<string, ModelError[]>();
  const always = new Map<string, ModelError>();
  const hanging = new Map<string, number>();
  return {
    provider: 'offline',
    model: inner.model,
    calls,
    failNext(node, ...errors) {
      queued.set(node, [...(queued.get(node) ?? []), ...errors]);
    },
    failAlways(node, error) {
      always.set(node, error);
    },
    hangNext(node, times = 1) {
      hanging.set(node, (hanging.get(node) ?? 0) + times);
    },
    heal(node) {
      always.delete(node);
      queued.delete(node);
    },
    async generate(req: ModelRequest): Promise<ModelResponse> {
      calls.push(req.node);
      const hangs = hanging.get(req.node) ?? 0;
      if (hangs > 0) {
        hanging.set(req.node, hangs - 1);
        return hang(req.signal);
      }
      const forever = always.get(req.node);
      if (forever) throw forever;
      const next = queued.get(req.node)?.shift();
      if (next) throw next;
      return inner.generate(req);
    },
  };
}
