/**
 * The reconciler's decision: compare what a run's log says with what the
 * platform and the lease say, and decide what closes a dead execution and
 * what comes next. Pure: the orchestrator's reconcile service gathers the
 * observations (lease, platform) and the clock, and appends what this returns
 * through the Decider, on the newest state — so a job that finished between
 * the observation and the append makes these commands no-ops.
 *
 * The cases, in order:
 * - terminal run: only tidy up an execution left open by a job that died after
 *   the terminal event (it ends `lost`, no recovery);
 * - no open execution on a live run (a crash between two appends of a build or
 *   a retry): request one, after the grace period;
 * - requested, not started: launch it again (same id; the lease makes a
 *   duplicate harmless) once the grace period is over, unless the platform
 *   says it is still starting; if the platform says it ended, it is lost;
 * - started, not finished: lost when the platform says it ended, or when its
 *   lease expired with nobody renewing it;
 * - lost → open attempts abandoned, then recover with a new execution while
 *   the budget (`maxExecutions`) allows, else the run fails, code
 *   `executions_exhausted`, with a message a judge can read.
 */
import type { Command } from './decide.ts';
import { unfinishedExecution } from './run-checks.ts';
import { openAttempts, isTerminal, type ExecutionState, type RunState } from './run-state.ts';

export interface ReconcilePolicy {
  /** Executions a run may use since its last operator retry or resume, recoveries included. */
  maxExecutions: number;
}

/** What the platform (Cloud Run, the local supervisor) says of one execution. */
export type PlatformView =
  | { state: 'running' }
  | { state: 'ended'; outcome: 'succeeded' | 'failed' | 'cancelled'; reason: string }
  | { state: 'unknown' };

/** What `lease.json` says: who holds the run and until when. */
export interface LeaseView {
  executionId: string;
  /** ISO time (as `toISOString` writes it, so instants compare as strings). */
  expiresAt: string;
  /** False when the holder is known to be gone (a pid on this host that no longer exists). */
  holderAlive: boolean;
}

/**
 * What the reconcile service saw, with the clock. Instants are ISO strings as
 * `toISOString` writes them (as every event's `at` is), which order as strings:
 * the core stays without a clock of its own.
 */
export interface Observation {
  now: string;
  /** `now` less LAUNCH_GRACE_S: anything requested or launched before this had its chance to start. */
  graceCutoff: string;
  lease: LeaseView | null;
  /** Of the run's open execution; `unknown` when there is none or nobody can tell. */
  platform: PlatformView;
}

export interface Reconciliation {
  /** Appended in order through the Decider. */
  commands: Command[];
  /** An execution to launch once the commands are durable (a new one, or the same one again). */
  launch: string | null;
  /** One line for the log: what was seen and what was done. */
  why: string;
}

const NOTHING: Reconciliation = { commands: [], launch: null, why: 'healthy' };

/** Executions used since the last operator retry or resume (which grant a fresh budget). */
export function executionsUsed(state: RunState): number {
  let used = 0;
  for (let i = state.executions.length - 1; i >= 0; i--) {
    used++;
    const reason = (state.executions[i] as ExecutionState).reason;
    if (reason === 'retry' || reason === 'resume') break;
  }
  return used;
}

/** Why a started execution is dead, or null while it is (or may be) alive. */
function deathOf(open: ExecutionState, obs: Observation): string | null {
  if (obs.platform.state === 'ended') return obs.platform.reason;
  const lease = obs.lease;
  if (lease && lease.executionId !== open.id && lease.expiresAt > obs.now && lease.holderAlive) {
    return null; // another execution holds the run and is taking over: its start closes this one
  }
  if (!lease) return 'its lease is gone and the log was never closed';
  if (lease.executionId !== open.id) return `its lease passed to ${lease.executionId}, which is gone too`;
  if (!lease.holderAlive) return 'its job process is gone';
  if (lease.expiresAt <= obs.now) {
    return `its lease expired at ${lease.expiresAt} with no renewal (no heartbeat since)`;
  }
  return null;
}

/** After an execution is closed: confirm a pending cancel, recover, or give up. */
function next(state: RunState, lostReason: string, policy: ReconcilePolicy, newExecutionId: () => string): Pick<Reconciliation, 'commands' | 'launch'> {
  if (state.cancelRequested) return { commands: [{ type: 'ConfirmCancel' }], launch: null };
  if (executionsUsed(state) < policy.maxExecutions) {
    const executionId = newExecutionId();
    return { commands: [{ type: 'RequestExecution', executionId, reason: 'recover', by: 'reconciler' }], launch: executionId };
  }
  const reason =
    `The run was stopped after using all ${policy.maxExecutions} execution${policy.maxExecutions === 1 ? '' : 's'} it may use ` +
    `(RUN_MAX_EXECUTIONS): the last one was lost because ${lostReason}.`;
  return { commands: [{ type: 'FailRun', node: null, code: 'executions_exhausted', reason }], launch: null };
}

function closeLost(state: RunState, open: ExecutionState, reason: string): Command[] {
  const commands: Command[] = [{ type: 'FinishExecution', executionId: open.id, outcome: 'lost', reason }];
  for (const a of openAttempts(state)) commands.push({ type: 'AbandonAttempt', node: a.node, attempt: a.attempt, reason: `execution lost: ${reason}` });
  return commands;
}

export function reconcile(state: RunState, obs: Observation, policy: ReconcilePolicy, newExecutionId: () => string): Reconciliation {
  if (state.lastSeq === 0 || state.deleted) return NOTHING;
  const open = unfinishedExecution(state);

  if (isTerminal(state.status)) {
    if (!open || open.startedAt === null) return NOTHING;
    const reason = deathOf(open, obs);
    if (reason === null) return NOTHING;
    return { commands: closeLost(state, open, reason), launch: null, why: `closed execution ${open.id} of a ${state.status} run: ${reason}` };
  }

  if (!open) {
    if (state.updatedAt > obs.graceCutoff) return NOTHING;
    const then = next(state, 'no execution was ever requested for the latest work', policy, newExecutionId);
    return { ...then, why: 'a live run had no execution' };
  }

  if (open.startedAt === null) {
    if (obs.platform.state === 'ended') {
      const reason = `the platform ended it before it started: ${obs.platform.reason}`;
      return { ...withClose(state, open, reason, policy, newExecutionId), why: `execution ${open.id} lost before starting` };
    }
    const since = open.launchedAt ?? open.requestedAt;
    if (obs.platform.state === 'running' || since > obs.graceCutoff) return NOTHING;
    return { commands: [], launch: open.id, why: `execution ${open.id} requested ${open.launchedAt ? 'and launched ' : ''}but not started: launching it again` };
  }

  const reason = deathOf(open, obs);
  if (reason === null) return NOTHING;
  return { ...withClose(state, open, reason, policy, newExecutionId), why: `execution ${open.id} lost: ${reason}` };
}

function withClose(state: RunState, open: ExecutionState, reason: string, policy: ReconcilePolicy, newExecutionId: () => string): Pick<Reconciliation, 'commands' | 'launch'> {
  const then = next(state, reason, policy, newExecutionId);
  return { commands: [...closeLost(state, open, reason), ...then.commands], launch: then.launch };
}

/**
 * What an operator's resume must do first: null while the run's unfinished
 * execution is (or may be) alive — the resume is refused; otherwise the
 * commands that close a stalled one as `lost` (none when nothing is
 * unfinished). Stalled is what the reconciler would call dead, with one
 * difference an operator's explicit request earns: an execution requested
 * and never launched (a launch that failed) need not wait out the grace.
 */
export function closeStalled(state: RunState, obs: Observation): { commands: Command[]; reason: string | null } | null {
  const open = unfinishedExecution(state);
  if (!open) return { commands: [], reason: null };
  let reason: string | null;
  if (open.startedAt !== null) {
    reason = deathOf(open, obs);
  } else if (obs.platform.state === 'ended') {
    reason = `the platform ended it before it started: ${obs.platform.reason}`;
  } else if (obs.platform.state === 'running') {
    reason = null;
  } else if (open.launchedAt === null) {
    reason = 'it was requested but never launched';
  } else {
    reason = open.launchedAt <= obs.graceCutoff ? `it was launched at ${open.launchedAt} and never started` : null;
  }
  return reason === null ? null : { commands: closeLost(state, open, reason), reason };
}
