/**
 * Orchestrator restarts (issue 12): now and then (exponential gaps, mean
 * `restartEveryMs`) the orchestrator in this process is stopped abruptly —
 * its server closed and every connection cut, its caches, tails and timers
 * forgotten — and a fresh one starts on the same store and port, mid-load.
 * The jobs live on (as Cloud Run executions outlive an orchestrator
 * instance). Only with the `liveness` option.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CUT_BY_RESTART } from '../types.ts';
import { loading, type SoakLoop } from './actor.ts';

export const restarter: SoakLoop = {
  name: 'restarter',
  async run(ctx) {
    if (!ctx.settings.liveness) return;
    const { rng, settings } = ctx;
    while (loading(ctx)) {
      await sleep(Math.min(rng.exp(settings.restartEveryMs), Math.max(0, ctx.loadEnd - Date.now())));
      if (!loading(ctx)) break;
      // SSE watchers are cut with their connections; they are judged as cut, not as streams that failed to end.
      for (const w of ctx.load.watches) w.abort(CUT_BY_RESTART);
      await ctx.orchestrator.restart();
    }
  },
};
