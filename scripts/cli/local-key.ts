/**
 * The key a local orchestrator generates for tenant `local` when API_KEYS is
 * not set (orchestrator/main.ts), read from `<RUNS_DIR>/.local-api-key`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LOCAL_KEY_FILE } from '../../shared/security/api-keys.ts';

export function localKeyFile(runsDir: string): string {
  return path.join(runsDir, LOCAL_KEY_FILE);
}

/** RUNS_DIR (./storage by default) as the orchestrator resolves it from the same working directory. */
export function localRunsDir(env: NodeJS.ProcessEnv): string {
  return path.resolve(env.RUNS_DIR?.trim() || 'storage');
}

/** The local key, or null when there is none (or it is not a key this project writes). */
export async function localApiKey(env: NodeJS.ProcessEnv, runsDir = localRunsDir(env)): Promise<string | null> {
  const text = await readFile(localKeyFile(runsDir), 'utf8').catch(() => null);
  const key = text?.trim() ?? '';
  return /^[A-Za-z0-9_-]{16,256}$/.test(key) ? key : null;
}
