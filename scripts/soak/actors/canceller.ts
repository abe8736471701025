/** An operator cancelling a live run. */
import type { SoakAction } from './actor.ts';
import { API_KEY_OF } from '../tenants.ts';

export const canceller: SoakAction = {
  name: 'cancel',
  weight: 0.3,
  async act({ rng, http, load }) {
    const live = load.active();
    // About one run in ten is cancelled: a cancelled run never shows the rest of its life.
    if (live.length === 0 || load.ops.cancels >= 1 + load.runs.size / 10) return;
    const r = rng.pick(live);
    const res = await http.request('POST', `/runs/${r.runId}/cancel`, '/runs/:id/cancel', { key: API_KEY_OF[r.tenant] });
    if (res?.status === 202) load.ops.cancels++;
  },
};
