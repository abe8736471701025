/**
 * An operator noticing a run nobody works on any more (its execution gave up): resume it.
 * Not with the `liveness` option, where bringing such a run back is the reconciler's job alone.
 */
import type { SoakAction } from './actor.ts';
import { API_KEY_OF } from '../tenants.ts';

export const resumer: SoakAction = {
  name: 'resume',
  weight: 0.5,
  async act({ rng, http, load, settings }) {
    if (settings.liveness) return;
    const idle = load.active().filter((r) => Date.now() - (load.lastWorked.get(r.runId) ?? Date.now()) > 3_000);
    if (idle.length === 0) return;
    const r = rng.pick(idle);
    const res = await http.request('POST', `/runs/${r.runId}/resume`, '/runs/:id/resume', { key: API_KEY_OF[r.tenant] });
    if (res?.status === 202) load.ops.resumes++;
    load.lastWorked.set(r.runId, Date.now());
  },
};
