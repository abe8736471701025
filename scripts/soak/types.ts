/**
 * What the soak's load generator records and what the checker reports. Plain
 * data, no I/O: the checker judges these records against the store.
 */

export type AnomalyKind =
  // the log
  | 'log_unreadable'
  | 'log_malformed_line'
  | 'log_seq_gap'
  | 'log_duplicate_id'
  | 'log_torn_tail'
  // run.json
  | 'projection_mismatch'
  | 'projection_missing'
  | 'projection_ahead'
  | 'stored_projection_mismatch'
  | 'stored_projection_stale'
  // artifacts
  | 'artifact_missing'
  | 'artifact_sha_mismatch'
  // run semantics
  | 'double_success'
  | 'attempt_never_ended'
  | 'execution_left_open'
  | 'run_not_terminal'
  | 'run_stuck'
  // builds, deletes, listings
  | 'dedup_violation'
  | 'deleted_listed'
  | 'deleted_served'
  | 'run_not_listed'
  // HTTP
  | 'server_error'
  | 'request_failed'
  | 'bad_response'
  // SSE
  | 'sse_gap'
  | 'sse_mismatch'
  | 'sse_bad_end'
  | 'sse_not_ended'
  // secrets
  | 'secret_leak';

export interface Anomaly {
  kind: AnomalyKind;
  runId?: string;
  detail: string;
}

/** One `POST /build` as the load generator saw it. */
export interface BuildRecord {
  tenant: string;
  /** tenant + normalised params: identical builds share it. */
  sigKey: string;
  force: boolean;
  /** ms since the epoch, when the request was sent and when its answer was read. */
  start: number;
  end: number;
  status: number;
  runId: string | null;
  reused: boolean | null;
}

/** One `DELETE /runs/:id`. */
export interface DeleteRecord {
  runId: string;
  sigKey: string | null;
  start: number;
  end: number;
  status: number;
}

/** A request the orchestrator answered with a 5xx, or did not answer at all. */
export interface FailedRequest {
  method: string;
  path: string;
  status: number | null;
  detail: string;
  at: number;
}

/** One SSE watcher: what it asked for and what it was sent. */
export interface SseRecord {
  runId: string;
  /** The seq it asked to start after (`?after` or `Last-Event-ID`). */
  after: number;
  httpStatus: number;
  /** Event frames in arrival order: the `id:` line and the event's own seq and id. */
  frames: { frameId: number; seq: number; id: string }[];
  /** The `event: end` frame's data, when it came. */
  end: { status: string; deleted: boolean; lastSeq: number } | null;
  /** Set when the watcher gave up (the soak ended, or the connection broke). */
  aborted: string | null;
  /** Problems seen while parsing the stream (bad data lines…). */
  problems: string[];
}

/** Why an SSE watcher was aborted when the restarter cut its connection. */
export const CUT_BY_RESTART = 'the orchestrator restarted';
