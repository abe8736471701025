/**
 * The run's event log: one discriminated union, past-tense types, a versioned
 * envelope. Types are never renamed once written; old shapes are upcast on read
 * (see `upcast`). A type this code does not know is kept as `UnknownEvent` and
 * ignored by the fold, so an older reader never crashes on a newer log.
 */

export const EVENT_VERSION = 1;

export type ExecutionReason = 'build' | 'retry' | 'resume' | 'recover';
/** `lost`: the reconciler closed it (the platform says it ended, or its lease expired unrenewed). */
export type ExecutionOutcome = 'succeeded' | 'failed' | 'cancelled' | 'interrupted' | 'lost';

/** Why a run failed, for machines; `reason` says it for people. */
export type RunFailureCode = 'node_failed' | 'executions_exhausted' | 'deadline' | 'invalid_params';

export interface AttemptError {
  code: string;
  message: string;
  retryable: boolean;
}

export interface ArtifactRef {
  name: string;
  sha256: string;
  size: number;
  contentType: string;
}

export interface TokenUsage {
  promptTokens: number;
  outputTokens: number;
}

export interface PipelineNodeSnapshot {
  id: string;
  deps: string[];
  maxAttempts: number;
  /** One attempt's time limit; absent in logs written before timeouts existed (no limit). */
  timeoutMs?: number;
}

/** Where the run's model key came from; never the key itself. */
export interface LlmSnapshot {
  provider: 'gemini' | 'offline';
  model: string;
  keySource: 'header' | 'env' | 'none';
  keyFingerprint: string | null;
}

export interface RunCreatedData {
  runId: string;
  tenant: string;
  label: string;
  params: Record<string, unknown>;
  signature: string;
  pipelineVersion: string;
  appVersion: string;
  nodes: PipelineNodeSnapshot[];
  llm: LlmSnapshot;
  /** The run fails with code `deadline` if it has not settled by then (ISO time); absent: no deadline. */
  deadlineAt?: string;
}

export interface EventDataByType {
  'run.created': RunCreatedData;
  'execution.requested': { executionId: string; reason: ExecutionReason; by?: string };
  /** The launcher accepted the request; `name` is e.g. the Cloud Run execution name. */
  'execution.launched': { executionId: string; backend: string; name: string };
  'execution.started': { executionId: string; cloudRunExecution?: string; taskAttempt?: number };
  'execution.finished': { executionId: string; outcome: ExecutionOutcome; reason?: string };
  /** The lease was renewed: the execution is alive until `leaseExpiresAt` at least. */
  'execution.heartbeat': { executionId: string; leaseExpiresAt: string };
  'node.attempt.started': { node: string; attempt: number; executionId: string };
  'node.attempt.succeeded': {
    node: string;
    attempt: number;
    durationMs: number;
    artifacts: ArtifactRef[];
    usage?: TokenUsage;
  };
  'node.attempt.failed': {
    node: string;
    attempt: number;
    durationMs: number;
    error: AttemptError;
    /** The policy's verdict at the time: another attempt will follow. */
    willRetry: boolean;
    usage?: TokenUsage;
    /** What output validation rejected, when the failure was an invalid answer. */
    normalization?: { issues: string[] };
  };
  'node.attempt.abandoned': { node: string; attempt: number; reason: string };
  'node.attempt.cancelled': { node: string; attempt: number; durationMs: number };
  'node.retry.requested': { node: string; by: string; reset: string[] };
  'run.cancel.requested': { by: string };
  'run.cancelled': Record<string, never>;
  'run.completed': Record<string, never>;
  'run.failed': { node: string | null; reason: string; code?: RunFailureCode };
  'run.deleted': { by: string };
}

export type EventType = keyof EventDataByType;

export const EVENT_TYPES: readonly EventType[] = [
  'run.created',
  'execution.requested',
  'execution.launched',
  'execution.started',
  'execution.finished',
  'execution.heartbeat',
  'node.attempt.started',
  'node.attempt.succeeded',
  'node.attempt.failed',
  'node.attempt.abandoned',
  'node.attempt.cancelled',
  'node.retry.requested',
  'run.cancel.requested',
  'run.cancelled',
  'run.completed',
  'run.failed',
  'run.deleted',
];

const KNOWN = new Set<string>(EVENT_TYPES);

export type Envelope<T extends string, D> = { v: number; seq: number; id: string; type: T; at: string; data: D };

export type KnownEvent = { [T in EventType]: Envelope<T, EventDataByType[T]> }[EventType];

/** An event written by a newer version; kept in the log, ignored by the fold. */
export type UnknownEvent = Envelope<string, unknown> & { readonly unknown: true };

export type RunEvent = KnownEvent;
export type StoredEvent = KnownEvent | UnknownEvent;

/** An event before the store gives it its place in the log. */
export type NewEvent = { [T in EventType]: Omit<Envelope<T, EventDataByType[T]>, 'seq'> }[EventType];
export type PendingEvent = NewEvent | Omit<UnknownEvent, 'seq' | 'unknown'>;

export function isKnownType(type: string): type is EventType {
  return KNOWN.has(type);
}

export function newEvent<T extends EventType>(type: T, data: EventDataByType[T], id: string, at: string): NewEvent {
  return { v: EVENT_VERSION, id, type, at, data } as NewEvent;
}

/** Thrown when a line of the log is not an event at all (not when its type is merely unknown). */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
}

/**
 * Turns a freshly parsed line into an event (in place): checks the envelope,
 * fills what old writers left out, and tags unknown types. Never looks inside
 * `data` beyond what upcasting needs.
 */
export function upcast(raw: unknown): StoredEvent {
  if (typeof raw !== 'object' || raw === null) throw new MalformedEventError('event is not an object');
  const e = raw as Record<string, unknown>;
  if (typeof e.seq !== 'number' || !Number.isInteger(e.seq) || e.seq < 1) throw new MalformedEventError('event has no valid seq');
  if (typeof e.id !== 'string' || e.id === '') throw new MalformedEventError('event has no id');
  if (typeof e.type !== 'string') throw new MalformedEventError('event has no type');
  if (typeof e.v !== 'number') e.v = 1;
  if (typeof e.at !== 'string') e.at = '';
  if (e.data === undefined || e.data === null) e.data = {};
  // Known shapes are used as parsed: the fold is as hot as the parse.
  if (isKnownType(e.type)) return e as unknown as KnownEvent;
  return { v: e.v as number, seq: e.seq, id: e.id, type: e.type, at: e.at as string, data: e.data, unknown: true };
}

/** Parses one JSONL line into an event (see `upcast`). */
export function parseEventLine(line: string): StoredEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new MalformedEventError('line is not JSON');
  }
  return upcast(raw);
}

/** One JSONL line (with its newline) for an event; unknown events round-trip without the tag. */
export function serializeEvent(e: StoredEvent): string {
  return JSON.stringify({ v: e.v, seq: e.seq, id: e.id, type: e.type, at: e.at, data: e.data }) + '\n';
}

/** Narrows a stored event to one known type (an unknown event never matches). */
export function isEventOf<T extends EventType>(e: StoredEvent, type: T): e is Extract<KnownEvent, { type: T }> {
  return e.type === type && !('unknown' in e);
}
