/**
 * What the orchestrator is made of (`AppDeps`, injected by the composition
 * root or a test) and the resolved context every route and run service
 * shares. Nothing here does I/O.
 */
import type { BoundedLru } from '../shared/bounded-lru.ts';
import type { Config } from '../shared/config.ts';
import type { DecideContext } from '../shared/domain/decide.ts';
import type { RunState } from '../shared/domain/run-state.ts';
import type { EventPublisher } from '../shared/events-bus/event-publisher.ts';
import type { Outbox } from '../shared/run-log/outbox.ts';
import type { Logger } from '../shared/logger.ts';
import type { ApiKeyRing } from '../shared/security/api-keys.ts';
import type { RunStore } from '../shared/store/run-store.ts';
import type { JobLauncher, LaunchRequest, LaunchResult } from './launchers/job-launcher.ts';
import type { Reconciler } from './runs/reconcile-port.ts';
import type { RunTails } from './runs/run-tail.ts';

/** The steps of a build, in order (DESIGN §4): each index is written before the run is visible. */
export type BuildStep = 'claimed' | 'indexed' | 'logged' | 'launched';

/** Starts an execution whose job gets extra env (a request's Gemini key); local launcher only. */
export type LaunchWithEnv = (req: LaunchRequest, env: Record<string, string>) => Promise<LaunchResult>;

export interface AppDeps {
  config: Config;
  store: RunStore;
  launcher: JobLauncher;
  logger: Logger;
  /**
   * Present only with the local launcher: how a build carrying an
   * `X-Gemini-Api-Key` (ALLOW_REQUEST_GEMINI_KEY=true) hands that key to its
   * job's env. Absent, such a request is refused (a Cloud Run execution would
   * keep the key in its configuration).
   */
  launchWithEnv?: LaunchWithEnv;
  /** Fan-out of the events the orchestrator commits (Pub/Sub); default none. */
  publisher?: EventPublisher;
  /** The clock; default `new Date()`. */
  now?: () => Date;
  /** Fresh ids for runs, executions and events; default UUIDv7 (run ids must be UUIDv7: listings sort by them). */
  newId?: () => string;
  /** How often a live SSE tail polls the log head; default 200 ms (1 s on GCS). */
  tailIntervalMs?: number;
  /** SSE comment heartbeat; default 15 s. */
  heartbeatMs?: number;
  /** How long a build waits for a run whose claim exists but whose log does not yet; default 3 s. */
  claimWaitMs?: number;
  /** Crash tests: called as a build passes each step (ORCHESTRATOR_FAILPOINT kills the process there). */
  failpoint?: (step: BuildStep) => void;
}

/**
 * The app's process-local caches, made once per app by its composition
 * (never module state), each a bounded LRU.
 */
export interface AppCaches {
  /** Parsed run.json by run id, valid while the object's generation is the one read. */
  projections: BoundedLru<string, { generation: string; run: { state: RunState; json: string } }>;
  /** One outbox per run, so the publishes of a run never overlap. */
  outboxes: BoundedLru<string, Outbox>;
}

export interface AppContext {
  config: Config;
  store: RunStore;
  launcher: JobLauncher;
  launchWithEnv: LaunchWithEnv | null;
  logger: Logger;
  publisher: EventPublisher;
  keys: ApiKeyRing;
  now: () => Date;
  newId: () => string;
  /** Time and ids for one decision. */
  decideContext: () => DecideContext;
  /** Live log tails shared by every SSE client of a run. */
  tails: RunTails;
  caches: AppCaches;
  heartbeatMs: number;
  claimWaitMs: number;
  /** Watches active runs until they settle (DESIGN §11). */
  reconciler: Reconciler;
  failpoint: (step: BuildStep) => void;
}
