/**
 * The soak: everything at once, for a fixed time, then a full check.
 *
 * Starts the world (world.ts: the GCS emulator and the Gemini stub, both
 * injecting faults, and the orchestrator in this process with the local
 * launcher running real jobs). Then, for `durationMs`, the actors
 * (actors/index.ts): concurrent builds (bursts of identical ones, some
 * forced), readers (run.json with ETag, events, artifacts, listings, the run
 * page, the aliases), SSE watchers, operator retries of failed nodes,
 * cancels, deletes and resumes, and SIGKILLs of random job processes; with
 * `liveness`, also permanent job kills and orchestrator restarts, and no
 * operator resumes (the reconciler alone must bring stranded runs back).
 *
 * Then it quiesces (quiesce.ts: load stops; every run that is not deleted
 * must reach a terminal state, with a `resume` for a run nobody is working on
 * any more, except with `liveness`), clears the faults, and judges (judge.ts:
 * the checker, which also counts stuck runs, and a
 * search of the store, the job and orchestrator logs and every HTTP answer
 * for the fake Gemini key).
 *
 * Loopback only; bounded in time and in the number of runs alive at once; stops by itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SoakContext } from './actors/actor.ts';
import { judge } from './judge.ts';
import { loadWithProgress } from './load.ts';
import { LoadState } from './load-state.ts';
import { soakSettings, type SoakOptions } from './options.ts';
import { quiesce } from './quiesce.ts';
import { soakReport, type SoakReport } from './report.ts';
import { getRng } from './rng.ts';
import { startWorld, type SoakWorld } from './world.ts';

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const wallStart = Date.now();
  const settings = soakSettings(options);
  const rng = getRng(settings.seed);
  const geminiKey = `AIzaSyFAKE-soak-${randomBytes(12).toString('hex')}`;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'sf-soak-'));
  let world: SoakWorld | null = null;
  let load: LoadState | null = null;
  let keep = settings.keepDir;
  try {
    world = await startWorld(settings, workDir, geminiKey);
    load = new LoadState(rng, world.http, settings.durationMs);
    const ctx: SoakContext = { rng, http: world.http, load, launcher: world.launcher, orchestrator: world.orchestrator, jobs: world.jobs, settings, loadEnd: Date.now() + settings.durationMs };
    const loadMs = await loadWithProgress(ctx);

    await quiesce(world, load, settings);
    world.feeder.stop();
    world.emulator.faults.clear();
    world.emulator.setWriteRateLimit(null);

    settings.log('soak: checking every run');
    const checked = await judge(world, load, geminiKey);
    if (checked.anomalies.length > 0) keep = true;
    return soakReport(settings, { loadMs, wallMs: Date.now() - wallStart }, world, load, checked, keep ? workDir : null);
  } catch (err) {
    keep = true;
    throw err;
  } finally {
    for (const w of load?.watches ?? []) w.abort('the soak ended');
    await world?.close();
    if (!keep) await rm(workDir, { recursive: true, force: true });
  }
}
