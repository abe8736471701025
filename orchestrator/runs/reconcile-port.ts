/**
 * What the rest of the orchestrator asks of the reconciler (runs/reconciler.ts),
 * kept apart so the context can name it without importing the service.
 */
import type { RunState } from '../../shared/domain/run-state.ts';

/** What one sweep did, for POST /internal/reconcile and the logs. */
export interface SweepCounts {
  /** Active runs looked at. */
  visited: number;
  /** Executions closed as lost (or runs whose pending cancel was confirmed). */
  closed: number;
  /** New executions requested (`reason: 'recover'`). */
  recovered: number;
  /** Requested executions launched again under their own id. */
  relaunched: number;
  /** Runs failed (`executions_exhausted`). */
  failed: number;
  /** Entries that left the active index (settled, deleted, or never logged). */
  left: number;
}

export interface Reconciler {
  /** Visits every active run once (paged); concurrent calls share the sweep in progress. */
  sweep(): Promise<SweepCounts>;
  /** Reconciles one run now (a reader's nudge, a test). */
  reconcileRun(runId: string): Promise<SweepCounts>;
  /**
   * A reader loaded `state`: when it may be stale (lease expired, launch past
   * its grace) reconcile it in the background. At most once per run every
   * few seconds; never awaited by the read.
   */
  nudge(runId: string, state: RunState): void;
  /** A sweep now, then every RECONCILE_INTERVAL_S (unref'd; 0 = none). */
  start(): void;
  /** Stops the timer; a sweep in progress finishes on its own. */
  close(): void;
}
