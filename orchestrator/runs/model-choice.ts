/**
 * Which model a launched run will use, decided before anything is written
 * (DESIGN §7): request header (only when ALLOW_REQUEST_GEMINI_KEY=true, and
 * only with the local launcher, which hands it to its child's env) → env
 * GEMINI_API_KEY → none. With none, cloud mode refuses live runs (503) and
 * local mode runs the offline model and says so. Only the key's source and
 * fingerprint are ever recorded.
 */
import type { Config } from '../../shared/config.ts';
import type { LlmSnapshot } from '../../shared/domain/events.ts';
import { OFFLINE_MODEL_ID } from '../../shared/llm/offline-model.ts';
import { resolveGeminiKey, type GeminiKeySource } from '../../shared/security/gemini-key.ts';
import type { AppContext } from '../context.ts';
import { badRequest, HttpError } from '../http-errors.ts';

export const GEMINI_KEY_HEADER = 'X-Gemini-Api-Key';

export interface ModelChoice {
  snapshot: LlmSnapshot;
  /** Extra env for this run's job (the request's key); null: the launcher's own env. */
  jobEnv: Record<string, string> | null;
  warnings: string[];
}

const isCloud = (config: Config): boolean => config.store.kind === 'gcs';

/** Where the Gemini key for a request would come from, for /health. Never the key. */
export function keySourceFor(app: AppContext, headerValue: string | undefined): GeminiKeySource {
  const allowHeader = app.config.llm.allowRequestKey && app.launchWithEnv !== null;
  return resolveGeminiKey({ headerKey: headerValue, allowHeader, envKey: app.config.geminiApiKey ?? undefined }).source;
}

/** The provider runs get without a request key: gemini needs a key, local mode falls back to offline. */
export function effectiveProvider(config: Config): 'gemini' | 'offline' {
  if (config.llm.provider === 'gemini' && !config.geminiApiKey && !isCloud(config)) return 'offline';
  return config.llm.provider;
}

const OFFLINE: LlmSnapshot = { provider: 'offline', model: OFFLINE_MODEL_ID, keySource: 'none', keyFingerprint: null };

export function chooseModel(app: AppContext, headerValue: string | undefined): ModelChoice {
  const { config } = app;
  const header = headerValue?.trim() ? headerValue.trim() : undefined;
  if (header !== undefined) {
    if (!config.llm.allowRequestKey) {
      throw badRequest(GEMINI_KEY_HEADER, 'is not accepted here (ALLOW_REQUEST_GEMINI_KEY is off); the server uses its own key or the offline model');
    }
    if (app.launchWithEnv === null) {
      throw badRequest(GEMINI_KEY_HEADER, 'is accepted only with the local job launcher: a Cloud Run execution would keep it in its configuration');
    }
    if (!/^[\x21-\x7e]{8,512}$/.test(header)) throw badRequest(GEMINI_KEY_HEADER, 'is not a plausible API key');
  }
  const resolved = resolveGeminiKey({ headerKey: header, allowHeader: header !== undefined, envKey: config.geminiApiKey ?? undefined });

  if (resolved.source === 'header' && resolved.key !== null) {
    return {
      snapshot: { provider: 'gemini', model: config.llm.model, keySource: 'header', keyFingerprint: resolved.fingerprint },
      jobEnv: { GEMINI_API_KEY: resolved.key, LLM_PROVIDER: 'gemini' },
      warnings: [],
    };
  }
  if (config.llm.provider === 'offline') return { snapshot: OFFLINE, jobEnv: null, warnings: [] };
  if (resolved.source === 'none') {
    if (isCloud(config)) {
      throw new HttpError(503, 'model_unavailable', 'LLM_PROVIDER=gemini but no Gemini key is configured (GEMINI_API_KEY): live runs are refused until one is set', undefined, { 'Retry-After': '60' });
    }
    return { snapshot: OFFLINE, jobEnv: null, warnings: ['no Gemini key is configured: this run uses the offline model'] };
  }
  return {
    snapshot: { provider: 'gemini', model: config.llm.model, keySource: resolved.source, keyFingerprint: resolved.fingerprint },
    jobEnv: null,
    warnings: [],
  };
}
