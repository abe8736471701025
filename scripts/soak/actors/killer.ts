/**
 * SIGKILLs a random job process now and then (exponential gaps, mean
 * `killEveryMs`). In worker mode one kill takes every run the worker holds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loading, type SoakLoop } from './actor.ts';

export const killer: SoakLoop = {
  name: 'killer',
  async run(ctx) {
    const { rng, settings, jobs } = ctx;
    const killsPerExecution = new Map<string, number>();
    // Spare an execution killed often: past JOB_MAX_RETRIES the launcher gives up (the quiesce then resumes it).
    const spared = (name: string) => (killsPerExecution.get(name) ?? 0) >= settings.maxKillsPerExecution;
    while (loading(ctx)) {
      await sleep(Math.min(rng.exp(settings.killEveryMs), ctx.loadEnd - Date.now()));
      if (!loading(ctx)) break;
      // A process is a candidate when every execution in it may be killed again (a worker holds several).
      const running = ctx.launcher.running();
      const candidates = [...new Set(running.map((t) => t.pid))].filter((pid) => !running.some((t) => t.pid === pid && spared(t.name)));
      if (candidates.length === 0) continue;
      const victim = rng.pick(candidates);
      try {
        process.kill(victim, 'SIGKILL');
        jobs.kills++;
        for (const t of running) if (t.pid === victim) killsPerExecution.set(t.name, (killsPerExecution.get(t.name) ?? 0) + 1);
      } catch {
        // It exited on its own first.
      }
    }
  },
};
