/** The RunStore on Cloud Storage: the GCS BlobStore, the rewrite-append log over it, one-second group commit. */
import { getBlobEventLog } from './event-log.ts';
import { getGcsBlobStore, type GcsRetryPolicy } from './gcs-blob-store.ts';
import { getRunStore, type RunStore } from './run-store.ts';

export interface GcsRunStoreOptions {
  bucket: string;
  /** `RUNS_PREFIX`; may be empty. */
  prefix: string;
  apiEndpoint?: string;
  projectId?: string;
  retry?: GcsRetryPolicy;
}

export function getGcsRunStore(options: GcsRunStoreOptions): RunStore {
  const blobs = getGcsBlobStore(options);
  // One object takes about one write per second: the job buffers events that long.
  return getRunStore({ blobs, log: getBlobEventLog(blobs), commitIntervalMs: 1000 });
}
