/** The in-memory RunStore: GCS semantics without I/O, for unit tests. */
import { getBlobEventLog } from './event-log.ts';
import { getMemoryBlobStore, type MemoryBlobStore } from './memory-blob-store.ts';
import { getRunStore, type RunStore } from './run-store.ts';

export function getMemoryRunStore(blobs: MemoryBlobStore = getMemoryBlobStore()): RunStore & { blobs: MemoryBlobStore } {
  return { ...getRunStore({ blobs, log: getBlobEventLog(blobs), commitIntervalMs: 0 }), blobs };
}
