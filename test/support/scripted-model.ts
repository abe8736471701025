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
}

export const unavailable = () => new ModelError('model_unavailable', 'The model is overloaded (503)', { retryable: true, status: 503 });
export const denied = () => new ModelError('permission_denied', 'API key not valid (403)', { retryable: false, status: 403 });

export function getScriptedModel(latencyMs = 0): ScriptedModel {
  const inner = getOfflineModel({ responders: OFFLINE_RESPONDERS, latencyMs });
  const calls: string[] = [];
  const queued = new Map<string, ModelError[]>();
  const always = new Map<string, ModelError>();
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
    heal(node) {
      always.delete(node);
      queued.delete(node);
    },
    async generate(req: ModelRequest): Promise<ModelResponse> {
      calls.push(req.node);
      const forever = always.get(req.node);
      if (forever) throw forever;
      const next = queued.get(req.node)?.shift();
      if (next) throw next;
      return inner.generate(req);
    },
  };
}
