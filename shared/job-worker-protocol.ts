/**
 * The messages between the local worker launcher (orchestrator side) and the
 * long-lived job worker (`job-runner/worker.ts`), over Node's IPC channel.
 * One worker runs many executions at once; each is what one job process (one
 * Cloud Run task attempt) would run, with the same inputs.
 */

/** Parent → worker: run one task attempt of an execution. */
export interface StartMessage {
  type: 'start';
  /** The launcher's handle for this attempt; echoed back in `ended`. */
  attemptId: string;
  runId: string;
  executionId: string;
  /** As CLOUD_RUN_EXECUTION for a job process. */
  cloudRunExecution: string;
  /** As CLOUD_RUN_TASK_ATTEMPT (0-based). */
  taskAttempt: number;
}

/** Parent → worker: stop one attempt as SIGTERM would stop a job process (timeout, close). */
export interface StopMessage {
  type: 'stop';
  attemptId: string;
}

export type ToWorker = StartMessage | StopMessage;

/** Worker → parent: modules loaded, store and model ready; starts may come. */
export interface ReadyMessage {
  type: 'ready';
}

/** Worker → parent: an attempt ended with the exit code its job process would have had. */
export interface EndedMessage {
  type: 'ended';
  attemptId: string;
  exitCode: number;
  /** The runner's outcome (`succeeded`, `failed`, `busy`, …) or `error` when it threw. */
  outcome: string;
}

export type FromWorker = ReadyMessage | EndedMessage;

const isRecord = (m: unknown): m is Record<string, unknown> => typeof m === 'object' && m !== null;

export function isToWorker(m: unknown): m is ToWorker {
  if (!isRecord(m) || typeof m.attemptId !== 'string') return false;
  if (m.type === 'stop') return true;
  return m.type === 'start' && typeof m.runId === 'string' && typeof m.executionId === 'string'
    && typeof m.cloudRunExecution === 'string' && Number.isInteger(m.taskAttempt);
}

export function isFromWorker(m: unknown): m is FromWorker {
  if (!isRecord(m)) return false;
  if (m.type === 'ready') return true;
  return m.type === 'ended' && typeof m.attemptId === 'string' && Number.isInteger(m.exitCode) && typeof m.outcome === 'string';
}
