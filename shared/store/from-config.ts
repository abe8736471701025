/**
 * Chooses the RunStore adapter a configuration names (used by each composition
 * root). Adapters are imported only when chosen: the Google clients cost
 * hundreds of milliseconds to load, and a job pays that on every start.
 */
import type { Config } from '../config.ts';
import type { RunStore } from './run-store.ts';

export async function runStoreFromConfig(config: Config): Promise<RunStore> {
  if (config.store.kind === 'local') {
    const { getLocalRunStore } = await import('./local-run-store.ts');
    return getLocalRunStore(config.store.dir);
  }
  const { getGcsRunStore } = await import('./gcs-run-store.ts');
  return getGcsRunStore({
    bucket: config.store.bucket,
    prefix: config.store.prefix,
    ...(config.store.apiEndpoint ? { apiEndpoint: config.store.apiEndpoint } : {}),
    ...(config.projectId ? { projectId: config.projectId } : {}),
  });
}
