/** Opens an SSE watcher on a run (mostly a live one), from the start or resuming after a seq; it runs until the stream ends. */
import type { SoakAction } from './actor.ts';
import { watchRun } from '../sse-watcher.ts';

export const watcher: SoakAction = {
  name: 'watch',
  weight: 1,
  async act({ rng, http, load, settings }) {
    if (load.watches.size >= settings.maxWatchers) return;
    const live = load.active();
    const pool = live.length > 0 && rng.chance(0.8) ? live : load.known();
    if (pool.length === 0) return;
    const r = rng.pick(pool);
    const after = rng.chance(0.6) ? 0 : rng.int(15);
    const w = watchRun(http, r.runId, after, rng.chance(0.5) ? 'query' : 'last-event-id');
    load.watches.add(w);
    load.sse.push(w.record);
    void w.done.finally(() => load.watches.delete(w));
  },
};
