/**
 * The reconcile service (DESIGN §11): watches every active run until it
 * settles. For each run in the store's active index it folds the log, peeks
 * at the lease, asks the launcher what became of the unfinished execution,
 * and lets the pure `reconcile()` decide; what it decides is appended through
 * the normal commit path (outbox, run.json) and then launched.
 *
 * Safe to run from many places at once (the timer, POST /internal/reconcile,
 * a reader's nudge, a second orchestrator instance): the commands are
 * appended only on the very state they were decided on — any append in
 * between (the job's, another sweep's) turns them into a no-op, to be looked
 * at again on the next sweep — and the Decider refuses a second recovery
 * beside an unfinished execution anyway.
 */
import { DomainError } from '../../shared/domain/decide.ts';
import type { StoredEvent } from '../../shared/domain/events.ts';
import { reconcile, type LeaseView, type Observation, type PlatformView } from '../../shared/domain/reconcile.ts';
import { isSettled, unfinishedExecution } from '../../shared/domain/run-checks.ts';
import { project, type RunState } from '../../shared/domain/run-state.ts';
import { BoundedLru } from '../../shared/bounded-lru.ts';
import { ensureError } from '../../shared/logger.ts';
import type { AppContext } from '../context.ts';
import type { ExecutionObservation } from '../launchers/job-launcher.ts';
import { commit } from './commit.ts';
import { launchExecution } from './launch.ts';
import type { Reconciler, SweepCounts } from './reconcile-port.ts';

export type { Reconciler, SweepCounts } from './reconcile-port.ts';

/** Active runs listed per page, and reconciled at once within a page. */
const PAGE_SIZE = 100;
const PARALLEL = 4;
/** A reader's nudge reconciles one run at most this often. */
const NUDGE_EVERY_MS = 5_000;
/** Runs whose listing entry this process has ensured (one idempotent put each). */
const ENSURED_MAX = 10_000;

const zero = (): SweepCounts => ({ visited: 0, closed: 0, recovered: 0, relaunched: 0, failed: 0, left: 0 });

function add(into: SweepCounts, more: SweepCounts): SweepCounts {
  for (const k of Object.keys(into) as (keyof SweepCounts)[]) into[k] += more[k];
  return into;
}

/** The creation time of a UUIDv7 run id (its first 48 bits), in epoch ms. */
export function runIdTime(runId: string): number {
  return Number.parseInt(runId.replace(/-/g, '').slice(0, 12), 16);
}

function platformView(o: ExecutionObservation): PlatformView {
  if (o.state === 'ended') return { state: 'ended', outcome: o.outcome, reason: o.reason };
  return o.state === 'running' ? { state: 'running' } : { state: 'unknown' };
}

/**
 * The lease, the platform and the clock, as `reconcile()` and `closeStalled()` want them.
 * `platform: false` skips asking the launcher (a Cloud Run API call) and says `unknown`.
 */
export async function observeRun(app: AppContext, runId: string, state: RunState, options: { platform: boolean } = { platform: true }): Promise<Observation> {
  const open = unfinishedExecution(state);
  const [peeked, platform] = await Promise.all([
    app.store.leases.peek(runId),
    open && options.platform ? app.launcher.observe(open.id, open.launchedAs ?? undefined) : Promise.resolve<ExecutionObservation>({ state: 'unknown' }),
  ]);
  const lease: LeaseView | null = peeked
    ? { executionId: peeked.record.executionId, expiresAt: new Date(peeked.record.expiresAt).toISOString(), holderAlive: peeked.holderAlive }
    : null;
  const now = app.now();
  return {
    now: now.toISOString(),
    graceCutoff: new Date(now.getTime() - app.config.reconcile.launchGraceS * 1000).toISOString(),
    lease,
    platform: platformView(platform),
  };
}

function tally(events: readonly StoredEvent[]): SweepCounts {
  const counts = zero();
  for (const e of events) {
    if (e.type === 'execution.finished' || e.type === 'run.cancelled') counts.closed++;
    else if (e.type === 'execution.requested') counts.recovered++;
    else if (e.type === 'run.failed') counts.failed++;
  }
  return counts;
}

export function getReconciler(app: AppContext): Reconciler {
  const ensured = new BoundedLru<string, true>({ maxEntries: ENSURED_MAX });
  const nudged = new BoundedLru<string, number>({ maxEntries: ENSURED_MAX });
  const inFlight = new Map<string, Promise<SweepCounts>>();
  let sweeping: Promise<SweepCounts> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const graceMs = () => app.config.reconcile.launchGraceS * 1000;

  /** A settled run, or an entry whose log never came, leaves the active index. */
  const leave = async (runId: string): Promise<SweepCounts> => {
    await app.store.activeRuns.leave(runId);
    return { ...zero(), left: 1 };
  };

  const ensureListed = async (runId: string, state: RunState): Promise<void> => {
    if (state.deleted || ensured.has(runId)) return;
    await app.store.indexRun(state.tenant, runId);
    ensured.set(runId, true);
  };

  const once = async (runId: string): Promise<SweepCounts> => {
    const log = await app.store.readLog(runId);
    if (log.lastSeq === 0) {
      // Claimed and indexed, never logged: a build that died, or one still writing (within the grace).
      return app.now().getTime() - runIdTime(runId) > graceMs() ? leave(runId) : zero();
    }
    const state = project(log.events);
    if (isSettled(state)) return leave(runId);
    await ensureListed(runId, state);
    const decision = reconcile(state, await observeRun(app, runId, state), { maxExecutions: app.config.reconcile.maxExecutions }, app.newId);
    if (decision.commands.length === 0 && decision.launch === null) return zero();
    let counts = zero();
    let after = state;
    if (decision.commands.length > 0) {
      // Only on the state observed: anything appended since (the job, another sweep) makes this a no-op.
      const decided = await commit(app, runId, (fresh) => (fresh.lastSeq === state.lastSeq ? decision.commands : []));
      if (decided.events.length === 0) return zero();
      counts = tally(decided.events);
      after = decided.state;
    }
    app.logger.warn({ runId, tenant: state.tenant, why: decision.why, launch: decision.launch }, 'reconciled a run');
    if (decision.launch !== null) {
      const launched = await launchExecution(app, runId, decision.launch, null);
      if (launched.launched && counts.recovered === 0) counts.relaunched++;
      after = launched.state ?? after;
    }
    if (isSettled(after)) add(counts, await leave(runId));
    return counts;
  };

  const reconcileRun = (runId: string): Promise<SweepCounts> => {
    const running = inFlight.get(runId);
    if (running) return running.then(() => zero());
    const p = once(runId)
      .then((c) => add(c, { ...zero(), visited: 1 }))
      .catch((err: unknown) => {
        if (!(err instanceof DomainError)) throw err;
        // The Decider refused (a race it settles: someone else recovered first).
        app.logger.info({ runId, err: err.message }, 'reconcile: nothing to do after all');
        return { ...zero(), visited: 1 };
      })
      .finally(() => inFlight.delete(runId));
    inFlight.set(runId, p);
    return p;
  };

  const sweepAll = async (): Promise<SweepCounts> => {
    const total = zero();
    let cursor: string | null = null;
    do {
      const page = await app.store.activeRuns.list({ limit: PAGE_SIZE, cursor });
      for (let i = 0; i < page.runIds.length; i += PARALLEL) {
        const batch = page.runIds.slice(i, i + PARALLEL);
        const results = await Promise.allSettled(batch.map((id) => reconcileRun(id)));
        results.forEach((r, j) => {
          if (r.status === 'fulfilled') add(total, r.value);
          else app.logger.warn({ runId: batch[j], err: ensureError(r.reason).message }, 'reconcile: could not reconcile a run; the next sweep tries again');
        });
      }
      cursor = page.cursor;
    } while (cursor);
    if (total.closed + total.recovered + total.relaunched + total.failed + total.left > 0) app.logger.info({ ...total }, 'reconcile sweep');
    return total;
  };

  const sweep = (): Promise<SweepCounts> => {
    sweeping ??= sweepAll().finally(() => {
      sweeping = null;
    });
    return sweeping;
  };

  /**
   * Whether a reader's run may be stale: the same decision as a sweep's, on the lease alone (the
   * platform is asked only by the full reconcile that follows), so a healthy run costs one lease read.
   */
  const looksStale = async (runId: string, state: RunState): Promise<boolean> => {
    const observed = await observeRun(app, runId, state, { platform: false });
    const decision = reconcile(state, observed, { maxExecutions: app.config.reconcile.maxExecutions }, () => 'probe');
    return decision.commands.length > 0 || decision.launch !== null;
  };

  return {
    sweep,
    reconcileRun,
    nudge(runId, state) {
      if (isSettled(state)) return;
      const at = app.now().getTime();
      const last = nudged.get(runId);
      if (last !== undefined && at - last < NUDGE_EVERY_MS) return;
      nudged.set(runId, at);
      void looksStale(runId, state)
        .then((stale) => (stale ? reconcileRun(runId) : null))
        .catch((err: unknown) => app.logger.warn({ runId, err: ensureError(err).message }, 'reconcile on read failed; the sweep will try again'));
    },
    start() {
      const run = (): void => {
        void sweep().catch((err: unknown) => app.logger.warn({ err: ensureError(err).message }, 'reconcile sweep failed; the next one tries again'));
      };
      run();
      const every = app.config.reconcile.intervalS;
      if (every > 0 && !timer) {
        timer = setInterval(run, every * 1000);
        timer.unref();
      }
    },
    close() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
