/** An operator deleting a run, mostly a finished one; the checker then expects it gone from every read. */
import type { SoakAction } from './actor.ts';
import { TERMINAL } from '../load-state.ts';
import { API_KEY_OF } from '../tenants.ts';

export const deleter: SoakAction = {
  name: 'delete',
  weight: 0.6,
  async act({ rng, http, load }) {
    const all = [...load.runs.values()].filter((r) => !r.deleted);
    // About one run in five is deleted, so most live long enough to be read, retried and checked whole.
    if (all.length < 4 || load.ops.deletes >= load.runs.size / 5) return;
    // Mostly finished runs; sometimes one that is running.
    const finished = all.filter((r) => TERMINAL.has(r.status));
    const r = finished.length > 0 && rng.chance(0.85) ? rng.pick(finished) : rng.pick(all);
    const start = Date.now();
    const res = await http.request('DELETE', `/runs/${r.runId}`, '/runs/:id', { key: API_KEY_OF[r.tenant] });
    load.deletes.push({ runId: r.runId, sigKey: r.sigKey, start, end: Date.now(), status: res?.status ?? 0 });
    if (res?.status === 200) {
      load.ops.deletes++;
      r.deleted = true;
    }
  },
};
