/**
 * The soak's actors. Each is one module: either an action the load workers
 * draw now and then (in proportion to its weight), or a loop of its own that
 * runs for the whole load. `index.ts` lists them; adding an actor is one new
 * module and one line there.
 */
import type { LocalLauncher } from '../../../orchestrator/launchers/local-launcher.ts';
import type { HttpLog } from '../http-log.ts';
import type { LoadState } from '../load-state.ts';
import type { SoakSettings } from '../options.ts';
import type { Rng } from '../rng.ts';

/** What the launcher did, counted from its log lines (and the killers' kills). */
export interface JobCounts {
  attempts: number;
  restarts: number;
  gaveUp: number;
  kills: number;
  /** Executions killed until the launcher gave up on them (the reaper). */
  permanentKills: number;
}

/** The orchestrator in this process, as the restarter sees it. */
export interface OrchestratorHandle {
  /** Drops the app abruptly (connections cut, in-memory state forgotten) and starts a fresh one on the same store and port. */
  restart(): Promise<void>;
  /** When it was down: requests cut in these windows are the restarts' doing, not the orchestrator's. */
  readonly downtimes: readonly { start: number; end: number }[];
}

/** Everything an actor may use. */
export interface SoakContext {
  /** The soak's shared PRNG (seeded: a soak's choices can be replayed from its seed). */
  readonly rng: Rng;
  readonly http: HttpLog;
  readonly load: LoadState;
  readonly launcher: Pick<LocalLauncher, 'running' | 'waitFor'>;
  readonly orchestrator: OrchestratorHandle;
  readonly jobs: JobCounts;
  readonly settings: SoakSettings;
  /** When the load stops (ms since the epoch). */
  readonly loadEnd: number;
}

/** Drawn by a load worker in proportion to `weight`, run to completion, then the worker draws again. */
export interface SoakAction {
  readonly name: string;
  readonly weight: number;
  act(ctx: SoakContext): Promise<void>;
}

/** Runs on its own until `ctx.loadEnd`. */
export interface SoakLoop {
  readonly name: string;
  run(ctx: SoakContext): Promise<void>;
}

export type Actor = SoakAction | SoakLoop;

export const isAction = (a: Actor): a is SoakAction => 'act' in a;
export const isLoop = (a: Actor): a is SoakLoop => 'run' in a;

/** True while the load runs. */
export const loading = (ctx: SoakContext): boolean => Date.now() < ctx.loadEnd;
