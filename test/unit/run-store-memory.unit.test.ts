import { getMemoryBlobStore } from '../../shared/store/memory-blob-store.ts';
import { getMemoryRunStore } from '../../shared/store/memory-run-store.ts';
import { describeRunStore } from '../support/run-store-contract.ts';

describeRunStore('in-memory', async () => {
  // The twin is a second store over the same objects, with its own log cache, as another process would have.
  const blobs = getMemoryBlobStore();
  return { store: getMemoryRunStore(blobs), cleanup: async () => {}, twin: () => getMemoryRunStore(blobs) };
});
