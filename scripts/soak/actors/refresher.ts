/** Keeps the statuses the load acts on fresh: conditional run.json reads of every unfinished run, and who is being worked on. */
import { setTimeout as sleep } from 'node:timers/promises';
import { loading, type SoakLoop } from './actor.ts';

export const refresher: SoakLoop = {
  name: 'refresher',
  async run(ctx) {
    const { load } = ctx;
    while (loading(ctx)) {
      const now = Date.now();
      for (const t of ctx.launcher.running()) load.lastWorked.set(t.runId, now);
      for (const r of load.active()) if (!load.lastWorked.has(r.runId)) load.lastWorked.set(r.runId, now);
      await Promise.all(load.active().map((r) => load.readRunJson(r, true)));
      await sleep(400);
    }
  },
};
