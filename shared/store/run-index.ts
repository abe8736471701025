/**
 * The listing index (`tenants/<tenant>/runs/<inverted runId>`), newest first at
 * O(page) cost, and the store-wide list of run ids an operator's checker walks.
 */
import type { BlobStore } from './blob-store.ts';
import { InvalidKeyError, invertRunId, isRunId, keys } from './keys.ts';

export interface RunPage {
  runIds: string[];
  /** Opaque; pass back to get the next page. Null on the last page. */
  cursor: string | null;
}

export function encodeCursor(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, prefix: string): string {
  let key: string;
  try {
    key = Buffer.from(cursor, 'base64url').toString('utf8');
  } catch {
    throw new InvalidKeyError('cursor', 'cursor is not one this server issued');
  }
  if (!key.startsWith(prefix) || !isRunId(key.slice(prefix.length))) {
    throw new InvalidKeyError('cursor', 'cursor is not one this server issued');
  }
  return key;
}

export async function indexRun(blobs: BlobStore, tenant: string, runId: string): Promise<void> {
  await blobs.put(keys.indexEntry(tenant, runId), runId, { contentType: 'text/plain' });
}

export async function unindexRun(blobs: BlobStore, tenant: string, runId: string): Promise<void> {
  await blobs.delete(keys.indexEntry(tenant, runId));
}

export async function listRuns(blobs: BlobStore, tenant: string, { limit, cursor }: { limit: number; cursor?: string | null }): Promise<RunPage> {
  const prefix = keys.indexPrefix(tenant);
  const startAfter = cursor ? decodeCursor(cursor, prefix) : undefined;
  const page = await blobs.list(prefix, { limit, ...(startAfter ? { startAfter } : {}) });
  return {
    runIds: page.keys.map((k) => invertRunId(k.slice(prefix.length))),
    cursor: page.next ? encodeCursor(page.next) : null,
  };
}

/** Every run id with at least one object under `runs/`, sorted; costs a walk of the whole store. */
export async function listAllRunIds(blobs: BlobStore): Promise<string[]> {
  const prefix = keys.allRunsPrefix;
  const ids = new Set<string>();
  let startAfter: string | undefined;
  for (;;) {
    const page = await blobs.list(prefix, { limit: 1000, ...(startAfter !== undefined ? { startAfter } : {}) });
    for (const key of page.keys) {
      const id = key.slice(prefix.length).split('/')[0] ?? '';
      if (isRunId(id)) ids.add(id);
    }
    if (!page.next) break;
    startAfter = page.next;
  }
  return [...ids].sort();
}
