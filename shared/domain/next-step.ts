/**
 * The scheduler's decision: given the run as the runner sees it (durable +
 * buffered events), the attempts this execution has in flight, the times
 * nodes in retry backoff may start again, the clock and the policy, what
 * happens next. Pure, like `decide`: the runner does the I/O and the timers,
 * and asks again whenever something changed (an attempt ended, a commit, a
 * poll, a timer).
 *
 * The rules run in order and the first that applies wins: a finished run, a
 * cancel, the run's deadline, attempts past their node's time limit, a failed
 * node, success, then what to start. Every instant the execution must wake
 * for — a backoff's end, an attempt's limit, the deadline — is a candidate for
 * the `wait` step's `until`.
 */
import { fullJitterMs } from '../backoff.ts';
import type { RetryPolicy } from './pipeline.ts';
import { isTerminal, readyNodes, type RunState } from './run-state.ts';

export interface SchedulePolicy {
  /** Most attempts one execution runs at once. */
  concurrency: number;
  /** How long a retryable failure waits before the node's next attempt (full jitter). */
  retry: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>;
}

export interface InflightAttempt {
  attempt: number;
  /** Clock value (ms) when the attempt started. */
  startedAt: number;
}

/** What only the execution knows: neither is in the log, so a replay starts with both empty. */
export interface ExecutionView {
  /** The attempts this execution runs now, by node id. */
  inflight: ReadonlyMap<string, InflightAttempt>;
  /** For nodes in retry backoff: the clock value (ms) before which they may not start. */
  notBefore: ReadonlyMap<string, number>;
  /** Why this execution can start no attempt at all (e.g. the run's params no longer parse). */
  blocked?: string;
  /**
   * The run's `deadlineAt` on this clock (ms) and how many seconds after the
   * run's creation that is, read by the caller from the state once (the core
   * parses no dates). Absent: no deadline.
   */
  deadline?: { at: number; seconds: number };
}

/** An attempt past its node's `timeoutMs`. */
export interface TimedOutAttempt {
  node: string;
  attempt: number;
  limitMs: number;
}

export type RunEnd = 'succeeded' | 'failed' | 'cancelled';

export type NextStep =
  /** The run is over: nothing to record, the execution ends with this outcome. */
  | { type: 'finished'; outcome: RunEnd }
  /** Stop these attempts (recorded cancelled), then confirm the cancel. */
  | { type: 'cancel'; stop: string[] }
  /** Every node succeeded and nothing runs: complete the run. */
  | { type: 'complete' }
  /** Nothing runs and the run cannot succeed: fail it. */
  | { type: 'fail'; node: string | null; reason: string }
  /** The run passed its deadline: stop these attempts, then fail the run (code `deadline`) with `reason`. */
  | { type: 'deadline'; stop: string[]; reason: string }
  /** These attempts ran past their node's limit: stop them and record them failed (retryable `timeout`). */
  | { type: 'timeout'; attempts: TimedOutAttempt[] }
  /**
   * Start these attempts (possibly none), then wait for an attempt to end, a
   * change to the log, or the clock to reach `until` (null: no time to wait for).
   */
  | { type: 'wait'; start: string[]; until: number | null };

export function nextStep(state: RunState, now: number, policy: SchedulePolicy, execution: ExecutionView): NextStep {
  if (isTerminal(state.status)) return { type: 'finished', outcome: state.status === 'succeeded' || state.status === 'failed' ? state.status : 'cancelled' };
  if (state.cancelRequested || state.deleted) return { type: 'cancel', stop: [...execution.inflight.keys()] };
  if (execution.deadline && now >= execution.deadline.at) {
    return { type: 'deadline', stop: [...execution.inflight.keys()], reason: deadlineReason(state, execution.deadline.seconds) };
  }
  const expired = timedOut(state, now, execution);
  if (expired.length > 0) return { type: 'timeout', attempts: expired };
  const running = execution.inflight.size > 0;
  const failed = firstFailed(state);
  // A failed node stops new starts; what runs is allowed to finish first (or to time out).
  if (failed) return running ? { type: 'wait', start: [], until: earliest(deadlines(state, execution)) } : failRun(state, failed);
  const nodes = Object.values(state.nodes);
  if (!running && nodes.every((n) => n.status === 'succeeded')) return { type: 'complete' };
  if (execution.blocked !== undefined && !running) return { type: 'fail', node: null, reason: execution.blocked };
  const start = startable(state, now, policy, execution);
  // Nothing pending, nothing running, not all succeeded: only cancelled nodes remain.
  if (!running && !nodes.some((n) => n.status === 'pending')) return { type: 'cancel', stop: [] };
  return { type: 'wait', start, until: earliest([...backoffEnds(state, now, execution), ...deadlines(state, execution)]) };
}

/**
 * When a node that just failed may start again: full jitter over its count of
 * failures against the budget, but never before the model's `retryAfter`.
 * `random` is the caller's draw, so this stays pure.
 */
export function retryNotBefore(
  failedAt: number,
  failure: { count: number; retryAfterMs?: number },
  retry: SchedulePolicy['retry'],
  random: () => number,
): number {
  const jittered = fullJitterMs(failure.count, { baseMs: retry.baseDelayMs, maxMs: retry.maxDelayMs }, random);
  return failedAt + Math.max(jittered, failure.retryAfterMs ?? 0);
}

function firstFailed(state: RunState): string | undefined {
  return Object.keys(state.nodes).find((id) => state.nodes[id]?.status === 'failed');
}

function failRun(state: RunState, node: string): NextStep {
  const err = state.nodes[node]?.lastAttempt?.error;
  return { type: 'fail', node, reason: `node ${node} failed${err ? `: ${err.code}` : ''}` };
}

/** Ready nodes not already running here and out of backoff, up to the free concurrency. */
function startable(state: RunState, now: number, policy: SchedulePolicy, execution: ExecutionView): string[] {
  const free = Math.max(0, policy.concurrency - execution.inflight.size);
  return readyNodes(state)
    .filter((id) => !execution.inflight.has(id) && (execution.notBefore.get(id) ?? 0) <= now)
    .slice(0, free);
}

/** When each ready node still in backoff may start. */
function backoffEnds(state: RunState, now: number, execution: ExecutionView): number[] {
  return readyNodes(state)
    .map((id) => execution.notBefore.get(id) ?? 0)
    .filter((at) => at > now);
}

/** When each attempt in flight reaches its node's limit. */
function attemptExpiries(state: RunState, execution: ExecutionView): { node: string; attempt: number; limitMs: number; at: number }[] {
  const out = [];
  for (const [node, f] of execution.inflight) {
    const limitMs = state.nodes[node]?.timeoutMs ?? null;
    if (limitMs !== null) out.push({ node, attempt: f.attempt, limitMs, at: f.startedAt + limitMs });
  }
  return out;
}

function timedOut(state: RunState, now: number, execution: ExecutionView): TimedOutAttempt[] {
  return attemptExpiries(state, execution)
    .filter((x) => now >= x.at)
    .map(({ node, attempt, limitMs }) => ({ node, attempt, limitMs }));
}

/** The instants the clock must wake the execution for: attempt limits and the run's deadline. */
function deadlines(state: RunState, execution: ExecutionView): number[] {
  const times = attemptExpiries(state, execution).map((x) => x.at);
  if (execution.deadline) times.push(execution.deadline.at);
  return times;
}

function deadlineReason(state: RunState, seconds: number): string {
  const { done, total } = state.progress;
  return `The run passed its deadline of ${state.deadlineAt ?? '(unknown)'} (RUN_DEADLINE_S=${seconds}) before it finished: ${done} of ${total} steps were done.`;
}

function earliest(times: number[]): number | null {
  return times.length === 0 ? null : Math.min(...times);
}
