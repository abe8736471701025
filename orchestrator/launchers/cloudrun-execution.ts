/**
 * What a Cloud Run Execution resource (Run Admin API v2, as
 * `ExecutionsClient.getExecution` returns it) says of the execution: running
 * or ended, and why, in words a judge can read.
 *
 * The client decodes enums to their names (gax `enums: String`), but the wire
 * may carry numbers (`$alt=json;enum-encoding=int`), so both are accepted.
 * Timestamps arrive as `{seconds, nanos}` with `seconds` an int64 string.
 */
import type { protos } from '@google-cloud/run';
import type { ExecutionObservation, ExecutionOutcome } from './job-launcher.ts';

type Execution = protos.google.cloud.run.v2.IExecution;
type Condition = protos.google.cloud.run.v2.ICondition;
type Timestamp = protos.google.protobuf.ITimestamp;

/** Condition.State values by number (condition.proto). */
const CONDITION_STATES: Record<number, string> = {
  0: 'STATE_UNSPECIFIED', 1: 'CONDITION_PENDING', 2: 'CONDITION_RECONCILING', 3: 'CONDITION_FAILED', 4: 'CONDITION_SUCCEEDED',
};
/** Condition.ExecutionReason values by number (condition.proto). */
const EXECUTION_REASONS: Record<number, string> = {
  0: 'EXECUTION_REASON_UNDEFINED', 1: 'JOB_STATUS_SERVICE_POLLING_ERROR', 2: 'NON_ZERO_EXIT_CODE',
  3: 'CANCELLED', 4: 'CANCELLING', 5: 'DELETED', 6: 'DELAYED_START_PENDING',
};

const MAX_MESSAGE = 300;

function enumName(value: unknown, names: Record<number, string>): string | undefined {
  if (typeof value === 'number') return names[value];
  return typeof value === 'string' ? value : undefined;
}

/** RFC 3339 from a protobuf Timestamp; undefined when unset. */
export function isoOfTimestamp(t: Timestamp | null | undefined): string | undefined {
  if (!t || t.seconds === null || t.seconds === undefined) return undefined;
  const ms = Number(String(t.seconds)) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
const retries = (n: number): string => (n === 0 ? 'with no retry' : `after ${plural(n, 'retry', 'retries')}`);

/** The short name Cloud Run shows (`J-xxxxx`). */
const shortName = (name: string | null | undefined): string => (name ?? '').split('/').at(-1) || '(unnamed)';

function outcomeOf(execution: Execution, completed: Condition | undefined): ExecutionOutcome | null {
  const state = enumName(completed?.state, CONDITION_STATES);
  const reason = enumName(completed?.executionReason, EXECUTION_REASONS);
  const failed = execution.failedCount ?? 0;
  const cancelled = execution.cancelledCount ?? 0;
  const finished = isoOfTimestamp(execution.completionTime) !== undefined;
  if (state === 'CONDITION_SUCCEEDED') return 'succeeded';
  // A cancel in progress is still running until Cloud Run completes the execution.
  if (state === 'CONDITION_FAILED' && (reason !== 'CANCELLING' || finished)) {
    return reason === 'CANCELLED' || (cancelled > 0 && failed === 0) ? 'cancelled' : 'failed';
  }
  if (!finished) return null;
  // Completed without a terminal condition: the counts decide.
  if (failed > 0) return 'failed';
  if (cancelled > 0) return 'cancelled';
  return (execution.succeededCount ?? 0) >= Math.max(1, execution.taskCount ?? 1) ? 'succeeded' : 'failed';
}

function reasonOf(execution: Execution, outcome: ExecutionOutcome, completed: Condition | undefined): string {
  const name = `Cloud Run execution ${shortName(execution.name)}`;
  const retried = execution.retriedCount ?? 0;
  const failed = execution.failedCount ?? 0;
  let text: string;
  if (outcome === 'succeeded') {
    text = `${name} succeeded: ${plural(execution.succeededCount ?? 0, 'task', 'tasks')} succeeded ${retries(retried)}`;
  } else if (outcome === 'cancelled') {
    text = `${name} was cancelled: ${plural(execution.cancelledCount ?? 0, 'task', 'tasks')} cancelled ${retries(retried)}`;
  } else {
    text = failed > 0 ? `${name} failed: ${plural(failed, 'task', 'tasks')} failed ${retries(retried)}` : `${name} failed`;
  }
  const message = (completed?.message ?? '').trim().slice(0, MAX_MESSAGE);
  return message === '' ? text : `${text} (${message})`;
}

/** Maps an Execution resource to what the orchestrator needs to know of it. */
export function observationOfExecution(execution: Execution): ExecutionObservation {
  const completed = execution.conditions?.find((c) => c.type === 'Completed');
  const outcome = outcomeOf(execution, completed);
  if (outcome === null) return { state: 'running' };
  const endedAt = isoOfTimestamp(execution.completionTime) ?? isoOfTimestamp(completed?.lastTransitionTime);
  return { state: 'ended', outcome, reason: reasonOf(execution, outcome, completed), ...(endedAt !== undefined ? { endedAt } : {}) };
}

/**
 * A name runJob handed out that the API no longer knows: ended, not unknown.
 * Cloud Run answered with this name, so it created the execution; a 404 now
 * means it was deleted, and nothing runs without its execution.
 */
export function notFoundObservation(name: string): ExecutionObservation {
  return { state: 'ended', outcome: 'failed', reason: `Cloud Run execution ${shortName(name)}: execution not found on the platform (HTTP 404; deleted, or never created)` };
}
