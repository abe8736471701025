import { getMemoryRunStore } from '../../shared/store/memory-run-store.ts';
import { describeRunStore } from '../support/run-store-contract.ts';

describeRunStore('in-memory', async () => ({ store: getMemoryRunStore(), cleanup: async () => {} }));
