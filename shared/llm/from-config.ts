/**
 * Chooses the ModelClient a configuration names (the Gemini SDK is loaded only
 * when chosen). The key comes from the job's env (Secret Manager), never from the log.
 * The offline model's answers come from the caller: shared/ knows no pipeline,
 * so the job's composition root passes its nodes' responders in.
 */
import type { Config } from '../config.ts';
import type { ModelClient } from './model-client.ts';
import type { OfflineResponders } from './offline-model.ts';

/** Thrown when the configuration asks for Gemini and no key is available to this process. */
export class MissingModelKeyError extends Error {
  override readonly name = 'MissingModelKeyError';
}

export async function modelFromConfig(
  config: Config,
  offlineResponders: OfflineResponders,
  apiKey: string | null = config.geminiApiKey,
): Promise<ModelClient> {
  if (config.llm.provider === 'offline') {
    const { getOfflineModel } = await import('./offline-model.ts');
    return getOfflineModel({ responders: offlineResponders, latencyMs: config.llm.offlineLatencyMs });
  }
  if (!apiKey) throw new MissingModelKeyError('LLM_PROVIDER=gemini but GEMINI_API_KEY is not set');
  const { getGeminiModel } = await import('./gemini-model.ts');
  return getGeminiModel({
    apiKey,
    model: config.llm.model,
    timeoutMs: config.llm.timeoutMs,
    apiVersion: 'v1beta',
    ...(config.llm.baseUrl ? { baseUrl: config.llm.baseUrl } : {}),
  });
}
