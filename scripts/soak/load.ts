/**
 * The load phase: `settings.workers` load workers, each drawing the next
 * action by weight with its own seeded PRNG and pausing up to 60 ms between
 * two, and every loop actor alongside, until `ctx.loadEnd`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ACTORS } from './actors/index.ts';
import { isAction, isLoop, loading, type Actor, type SoakAction, type SoakContext } from './actors/actor.ts';
import { getRng } from './rng.ts';

export async function runLoad(ctx: SoakContext, actors: readonly Actor[] = ACTORS): Promise<void> {
  const actions = new Map<string, SoakAction>(actors.filter(isAction).map((a) => [a.name, a]));
  const weights = Object.fromEntries([...actions].map(([name, a]) => [name, a.weight]));
  const worker = async (n: number): Promise<void> => {
    const own = getRng(ctx.settings.seed + 1000 + n);
    while (loading(ctx)) {
      await actions.get(own.weighted(weights))?.act(ctx);
      await sleep(own.int(60));
    }
  };
  const workers = Array.from({ length: ctx.settings.workers }, (_, n) => worker(n));
  await Promise.all([...workers, ...actors.filter(isLoop).map((loop) => loop.run(ctx))]);
}

/** The load with a progress line every 15 s; resolves with how long it ran. */
export async function loadWithProgress(ctx: SoakContext): Promise<number> {
  const { http, load, jobs } = ctx;
  const say = ctx.settings.log;
  const loadStart = ctx.loadEnd - ctx.settings.durationMs;
  const progress = setInterval(() => {
    say(`soak: ${Math.round((Date.now() - loadStart) / 1000)} s: ${http.total} requests, ${load.runs.size} runs (${load.active().length} unfinished), ${jobs.kills} kills, ${load.watches.size} watchers`);
  }, 15_000);
  progress.unref();
  try {
    await runLoad(ctx);
  } finally {
    clearInterval(progress);
  }
  const loadMs = Date.now() - loadStart;
  say(`soak: load stopped after ${Math.round(loadMs / 1000)} s (${http.total} requests, ${load.runs.size} runs, ${jobs.kills} kills); quiescing`);
  return loadMs;
}
