/**
 * API key → tenant resolution (DESIGN §7). A presented key is compared in
 * constant time against every configured key — all of them, whatever matches
 * first — so neither the answer's timing nor its content tells how close a
 * guess came or which tenant exists. Keys are compared as SHA-256 digests, so
 * keys of different lengths compare in the same time too.
 *
 * Local mode without API_KEYS gets one generated key for tenant `local`,
 * kept in `<RUNS_DIR>/.local-api-key` (mode 0600) so it survives restarts.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const LOCAL_TENANT = 'local';
export const LOCAL_KEY_FILE = '.local-api-key';

export interface ApiKeyRing {
  /** The tenant a presented key belongs to, or null. Constant time in the key. */
  tenantOf(presented: string | undefined): string | null;
  readonly size: number;
}

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

export function getApiKeyRing(keys: ReadonlyMap<string, string>): ApiKeyRing {
  const entries = [...keys].map(([key, tenant]) => ({ digest: digest(key), tenant }));
  return {
    size: entries.length,
    tenantOf(presented) {
      if (presented === undefined || presented === '' || presented.length > 1024) return null;
      const d = digest(presented);
      let found: string | null = null;
      // No early exit: every configured key is compared on every call.
      for (const e of entries) {
        if (timingSafeEqual(d, e.digest) && found === null) found = e.tenant;
      }
      return found;
    },
  };
}

/** A short, non-reversible handle on a key, for rate-limit buckets and logs. */
export function keyHandle(key: string): string {
  return `key:${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 16)}`;
}

/**
 * The local key: read from `<dir>/.local-api-key`, or generated and written
 * there (mode 0600, exclusive create so two starts agree on one key).
 */
export async function ensureLocalApiKey(dir: string): Promise<{ key: string; file: string; created: boolean }> {
  const file = path.join(dir, LOCAL_KEY_FILE);
  await fs.mkdir(dir, { recursive: true });
  for (let round = 0; round < 3; round++) {
    const existing = await fs.readFile(file, 'utf8').then((t) => t.trim(), () => null);
    if (existing !== null && /^[A-Za-z0-9_-]{16,256}$/.test(existing)) {
      // Tighten a key file someone loosened.
      await fs.chmod(file, 0o600).catch(() => undefined);
      return { key: existing, file, created: false };
    }
    if (existing !== null) await fs.rm(file, { force: true });
    const key = `sf_local_${randomBytes(24).toString('base64url')}`;
    try {
      await fs.writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
      return { key, file, created: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`cannot create ${file}`);
}
