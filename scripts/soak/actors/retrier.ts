/** An operator retrying a failed (or cancelled) node of a finished run. */
import type { SoakAction } from './actor.ts';
import { API_KEY_OF } from '../tenants.ts';

export const retrier: SoakAction = {
  name: 'retry',
  weight: 2,
  async act({ rng, http, load }) {
    const failed = load.known().filter((r) => !r.deleted && (r.status === 'failed' || r.status === 'cancelled'));
    if (failed.length === 0) return;
    const r = rng.pick(failed);
    await load.readRunJson(r, false);
    const node = Object.entries(r.state?.nodes ?? {}).find(([, n]) => n.status === 'failed' || n.status === 'cancelled')?.[0];
    if (!node || r.deleted) return;
    const res = await http.request('POST', `/runs/${r.runId}/nodes/${node}/retry`, '/runs/:id/nodes/:node/retry', { key: API_KEY_OF[r.tenant] });
    if (res?.status === 202) {
      load.ops.retries++;
      r.status = 'queued';
    }
  },
};
