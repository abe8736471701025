/** Chooses the RunStore adapter a configuration names (used by each composition root). */
import type { Config } from '../config.ts';
import { getGcsRunStore } from './gcs-run-store.ts';
import { getLocalRunStore } from './local-run-store.ts';
import type { RunStore } from './run-store.ts';

export function runStoreFromConfig(config: Config): RunStore {
  if (config.store.kind === 'local') return getLocalRunStore(config.store.dir);
  return getGcsRunStore({
    bucket: config.store.bucket,
    prefix: config.store.prefix,
    ...(config.store.apiEndpoint ? { apiEndpoint: config.store.apiEndpoint } : {}),
    ...(config.projectId ? { projectId: config.projectId } : {}),
  });
}
