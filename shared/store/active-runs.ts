/**
 * The index of runs that have not settled (`active/<runId>`, the tenant as its
 * body, for people reading the bucket): entered before a run's log is written, left once the run is terminal
 * or deleted. The reconciler sweeps it, so a sweep costs O(active runs), not
 * O(all runs ever made). An entry may outlive its run's settling (a crash
 * between the terminal event and the removal): the sweep removes such entries
 * when it meets them, so the index converges on the truth in the log.
 */
import type { BlobStore } from './blob-store.ts';
import { isRunId, keys } from './keys.ts';
import { decodeCursor, encodeCursor } from './run-index.ts';

export interface ActiveRunPage {
  runIds: string[];
  /** Opaque; pass back to get the next page. Null on the last page. */
  cursor: string | null;
}

/** Runs still to be watched; oldest first (run ids are UUIDv7). */
export interface ActiveRuns {
  /** Idempotent. */
  enter(runId: string, tenant: string): Promise<void>;
  /** Idempotent; absent is fine. */
  leave(runId: string): Promise<void>;
  list(options: { limit: number; cursor?: string | null }): Promise<ActiveRunPage>;
}

export function getActiveRuns(blobs: BlobStore): ActiveRuns {
  return {
    async enter(runId, tenant) {
      await blobs.put(keys.activeEntry(runId), tenant, { contentType: 'text/plain' });
    },
    async leave(runId) {
      await blobs.delete(keys.activeEntry(runId));
    },
    async list({ limit, cursor }) {
      const prefix = keys.activePrefix;
      const startAfter = cursor ? decodeCursor(cursor, prefix) : undefined;
      const page = await blobs.list(prefix, { limit, ...(startAfter ? { startAfter } : {}) });
      // One list call per page: the sweep reads each run's log anyway, which names its tenant.
      const runIds = page.keys.map((k) => k.slice(prefix.length)).filter(isRunId);
      return { runIds, cursor: page.next ? encodeCursor(page.next) : null };
    },
  };
}
