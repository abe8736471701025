/**
 * Permanent job kills (issue 12): now and then (exponential gaps, mean
 * `permanentKillEveryMs`) one running execution is SIGKILLed again each time
 * the launcher starts it again, until the launcher gives up on it (past
 * JOB_MAX_RETRIES). Nothing in the job or the launcher brings that run back:
 * only the reconciler can (its lease is gone, its platform execution ended).
 * In worker mode each kill takes the whole job worker, and every run it holds.
 * Only with the `liveness` option.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loading, type SoakContext, type SoakLoop } from './actor.ts';

/** Longest the reaper keeps at one execution. */
const GIVE_UP_MS = 30_000;

/** Kills every attempt of `name` until the launcher reports it ended for good; true when it did. */
async function killForGood(ctx: SoakContext, name: string): Promise<boolean> {
  let ended = false;
  void ctx.launcher.waitFor(name).then(
    () => { ended = true; },
    () => { ended = true; },
  );
  const deadline = Date.now() + GIVE_UP_MS;
  while (!ended && Date.now() < deadline) {
    const task = ctx.launcher.running().find((t) => t.name === name);
    if (task) {
      try {
        process.kill(task.pid, 'SIGKILL');
        ctx.jobs.kills++;
      } catch {
        // It exited on its own first.
      }
    }
    await sleep(40);
  }
  return ended;
}

export const reaper: SoakLoop = {
  name: 'reaper',
  async run(ctx) {
    if (!ctx.settings.liveness) return;
    const { rng, settings } = ctx;
    while (loading(ctx)) {
      await sleep(Math.min(rng.exp(settings.permanentKillEveryMs), Math.max(0, ctx.loadEnd - Date.now())));
      if (!loading(ctx)) break;
      const running = ctx.launcher.running();
      if (running.length === 0) continue;
      if (await killForGood(ctx, rng.pick(running).name)) ctx.jobs.permanentKills++;
    }
  },
};
