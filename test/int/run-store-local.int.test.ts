import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import { describeRunStore } from '../support/run-store-contract.ts';
import { tempDir } from '../support/temp-dir.ts';

describeRunStore('local disk', async () => {
  const tmp = await tempDir('sf-store-');
  return { store: getLocalRunStore(tmp.dir), cleanup: tmp.cleanup, twin: () => getLocalRunStore(tmp.dir) };
});
