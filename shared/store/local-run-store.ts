/** The local-disk RunStore: the embedded default. No write-rate limit, so events commit at once. */
import { getLocalBlobStore } from './local-blob-store.ts';
import { getLocalEventLog } from './local-event-log.ts';
import { getRunStore, type RunStore } from './run-store.ts';

export function getLocalRunStore(dir: string): RunStore {
  const blobs = getLocalBlobStore(dir);
  return getRunStore({ blobs, log: getLocalEventLog(blobs), commitIntervalMs: 0 });
}
