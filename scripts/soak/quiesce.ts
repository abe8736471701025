/**
 * After the load: every run that is not deleted must reach a terminal state.
 * A run nobody has worked on for two rounds (its execution gave up, or was
 * refused) is resumed, as an operator would — except with `liveness`, where
 * only the reconciler may bring it back (a run it leaves is counted stuck). Then the SSE watchers are let
 * end (or cut) and every job is waited for.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminal, project, type RunState } from '../../shared/domain/run-state.ts';
import { storedRunIds } from './checker.ts';
import type { LoadState } from './load-state.ts';
import type { SoakSettings } from './options.ts';
import { API_KEY_OF, tenantOf } from './tenants.ts';
import type { SoakWorld } from './world.ts';

async function unfinishedRuns(world: SoakWorld): Promise<RunState[]> {
  const unfinished: RunState[] = [];
  for (const runId of await storedRunIds(world.store)) {
    const state = project((await world.store.readLog(runId)).events);
    if (state.lastSeq > 0 && !state.deleted && !isTerminal(state.status)) unfinished.push(state);
  }
  return unfinished;
}

/** Resumes, once a second, each unfinished run no job has held for two rounds, until none is left or the deadline. */
async function settleRuns(world: SoakWorld, load: LoadState, settings: SoakSettings): Promise<void> {
  const say = settings.log;
  const quiesceDeadline = Date.now() + settings.quiesceMs;
  const idleRounds = new Map<string, number>();
  const refusedResume = new Set<string>();
  for (;;) {
    const unfinished = await unfinishedRuns(world);
    if (unfinished.length === 0 || Date.now() > quiesceDeadline) {
      if (unfinished.length > 0) say(`soak: ${unfinished.length} run(s) still unfinished at the quiesce deadline`);
      return;
    }
    if (settings.liveness) {
      await sleep(1000);
      continue;
    }
    const working = new Set(world.launcher.running().map((t) => t.runId));
    for (const s of unfinished) {
      if (working.has(s.runId)) {
        idleRounds.delete(s.runId);
        continue;
      }
      const idle = (idleRounds.get(s.runId) ?? 0) + 1;
      idleRounds.set(s.runId, idle);
      // Nobody has worked on it for two rounds: its execution gave up (or was refused). Start another.
      if (idle >= 2) {
        const res = await world.http.request('POST', `/runs/${s.runId}/resume`, '/runs/:id/resume', { key: API_KEY_OF[tenantOf(s.tenant)] });
        if (res?.status === 202) load.ops.resumes++;
        else if (!refusedResume.has(s.runId)) {
          refusedResume.add(s.runId);
          say(`soak: resume of ${s.runId} (${s.status}${s.cancelRequested ? ', cancel requested' : ''}) answered ${res?.status ?? 'nothing'}: ${res?.text.slice(0, 160) ?? ''}`);
        }
        idleRounds.set(s.runId, -3);
      }
    }
    await sleep(1000);
  }
}

export async function quiesce(world: SoakWorld, load: LoadState, settings: SoakSettings): Promise<void> {
  await settleRuns(world, load, settings);
  // Watchers of settled runs end on their own within the tail's grace; the rest are cut.
  const watchDeadline = Date.now() + 12_000;
  while (load.watches.size > 0 && Date.now() < watchDeadline) await sleep(200);
  for (const w of load.watches) w.abort('the soak ended');
  await Promise.all([...load.watches].map((w) => w.done));
  // Jobs of deleted runs notice and stop; wait for every job to be gone.
  const jobsDeadline = Date.now() + 15_000;
  while (world.launcher.running().length > 0 && Date.now() < jobsDeadline) await sleep(200);
}
