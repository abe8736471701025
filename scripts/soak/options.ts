/** What a soak can be asked for, and the defaults that fill in the rest. */

export interface SoakOptions {
  /** How long the load runs (the quiesce and the check come after). */
  durationMs: number;
  seed?: number;
  /** Concurrent load workers. Default 4. */
  workers?: number;
  /** No build is sent while this many runs are unfinished. Default 4. */
  maxActiveRuns?: number;
  /** SSE watchers open at once, at most. Default 3. */
  maxWatchers?: number;
  /** Mean time between two SIGKILLs of a job process. Default 3000 ms. */
  killEveryMs?: number;
  /**
   * How the local launcher runs executions: `process` (one job process each, the default) or
   * `worker` (one long-lived job worker runs them all; a kill then takes every run it holds).
   */
  jobMode?: 'process' | 'worker';
  /** JOB_MAX_RETRIES of the local launcher (task retries after the first attempt). Default 10. */
  jobMaxRetries?: number;
  /**
   * An execution is killed at most this often. Default 5, below JOB_MAX_RETRIES, so the
   * launcher never gives up; above it, executions are abandoned and the quiesce must resume them.
   */
  maxKillsPerExecution?: number;
  /**
   * Issue 12's actors: permanent job kills (one execution killed again and again until the
   * launcher gives up on it) and orchestrator restarts (the app dropped and made anew on the same
   * store and port). Operators then resume nothing (no resumer, no resume in the quiesce): only
   * the reconciler can bring a stranded run back, and the report's `stuck runs` must stay 0.
   * Default false. With it, JOB_MAX_RETRIES defaults to 3 and kills per execution to 2.
   */
  liveness?: boolean;
  /** Mean time between two permanent kills (with `liveness`). Default 12 000 ms. */
  permanentKillEveryMs?: number;
  /** Mean time between two orchestrator restarts (with `liveness`). Default 15 000 ms. */
  restartEveryMs?: number;
  /** Chance of each injected GCS fault kind per matching request. Default 0.02. */
  gcsFaultRate?: number;
  /** Chance that a model call is answered with a fault. Default 0.06. */
  modelFaultRate?: number;
  /** GCS's per-object mutation limit (writes per second), or null for none. Default null. */
  writeRateLimit?: number | null;
  /** Longest wait for every run to settle after the load stops. Default 90 s. */
  quiesceMs?: number;
  /** Keep the work directory (logs) even when nothing went wrong. */
  keepDir?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** The options with every default filled in: what the soak's parts read. */
export type SoakSettings = Required<Omit<SoakOptions, 'writeRateLimit'>> & { writeRateLimit: number | null };

export function soakSettings(options: SoakOptions): SoakSettings {
  return {
    durationMs: options.durationMs,
    seed: options.seed ?? (Date.now() % 1_000_000),
    workers: options.workers ?? 4,
    maxActiveRuns: options.maxActiveRuns ?? 4,
    maxWatchers: options.maxWatchers ?? 3,
    killEveryMs: options.killEveryMs ?? 3000,
    jobMode: options.jobMode ?? 'process',
    jobMaxRetries: options.jobMaxRetries ?? (options.liveness ? 3 : 10),
    maxKillsPerExecution: options.maxKillsPerExecution ?? (options.liveness ? 2 : 5),
    liveness: options.liveness ?? false,
    permanentKillEveryMs: options.permanentKillEveryMs ?? 12_000,
    restartEveryMs: options.restartEveryMs ?? 15_000,
    gcsFaultRate: options.gcsFaultRate ?? 0.02,
    modelFaultRate: options.modelFaultRate ?? 0.06,
    writeRateLimit: options.writeRateLimit ?? null,
    quiesceMs: options.quiesceMs ?? 90_000,
    keepDir: options.keepDir ?? false,
    log: options.log ?? (() => undefined),
  };
}
