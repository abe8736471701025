/**
 * The node port: one ScenarioForge step. A node reads its deps' values and the
 * build params, may make one model call, and returns a JSON value plus extra
 * files. Nodes never touch storage: the runner persists `value` as
 * `<nodeId>.json` and each file under its name, then feeds `value` to dependents.
 */
import type { BuildParams } from '../../shared/domain/params.ts';
import type { AttemptError, TokenUsage } from '../../shared/domain/events.ts';
import type { ModelClient } from '../../shared/llm/model-client.ts';
import type { OfflineResponder } from '../../shared/llm/offline-model.ts';
import { ModelError } from '../../shared/llm/model-client.ts';

export interface NodeContext {
  runId: string;
  params: BuildParams;
  /** The `value` of each dep, by node id, as read back from `<dep>.json` (plain JSON). */
  inputs: Record<string, unknown>;
  model: ModelClient;
  signal: AbortSignal;
  /** 1-based attempt number. */
  attempt: number;
}

export interface NodeFile {
  name: string;
  body: string | Buffer;
  contentType: string;
}

export interface NodeResult {
  /** Persisted by the runner as `<nodeId>.json` and fed to dependents; JSON-serialisable. */
  value: unknown;
  /** Extra artifacts, e.g. `scenario-matrix.svg`, `report.md`. */
  files: NodeFile[];
  /** Tokens spent by this attempt's model call; absent when no model was called. */
  usage?: TokenUsage;
}

export interface PipelineNode {
  id: string;
  kind: 'model' | 'render';
  run(ctx: NodeContext): Promise<NodeResult>;
  /**
   * How the offline model answers this node's request (model nodes; see
   * `<node>.offline.ts`). Declared beside the node's prompt and schema so the
   * two change together; the registry hands them to the offline model.
   */
  offline?: OfflineResponder;
}

export type NodeErrorCode = 'invalid_output' | 'invalid_input' | 'cancelled' | 'timeout' | 'deadline';

export interface NodeErrorOptions {
  retryable: boolean;
  issues?: string[];
  /** Tokens the failed attempt consumed (a rejected model answer still costs). */
  usage?: TokenUsage;
  cause?: unknown;
}

/**
 * Thrown when a node cannot produce its value: the model's answer failed the
 * schema or the method check (`invalid_output`, retryable, with `issues`), a
 * dep's value is unusable (`invalid_input`, terminal — re-run the upstream
 * node), the attempt was cancelled, or the execution stopped it: past its
 * node's time limit (`timeout`, retryable) or the run's deadline (`deadline`).
 */
export class NodeError extends Error {
  override readonly name = 'NodeError';
  code: string;
  retryable: boolean;
  issues?: string[];
  usage?: TokenUsage;

  constructor(code: NodeErrorCode, message: string, options: NodeErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
    if (options.issues !== undefined) this.issues = options.issues;
    if (options.usage !== undefined) this.usage = options.usage;
  }
}

/** What the runner records for a failed attempt: the error, plus what validation rejected. */
export interface NodeFailure {
  error: AttemptError;
  issues?: string[];
  usage?: TokenUsage;
  retryAfterMs?: number;
}

/**
 * Turns anything a node threw into the log's shape. Unknown errors are
 * retryable (a bug in a node shows up as spent attempts, not a silent pass).
 */
export function describeNodeFailure(err: unknown): NodeFailure {
  if (err instanceof NodeError) {
    const out: NodeFailure = { error: { code: err.code, message: err.message, retryable: err.retryable } };
    if (err.issues !== undefined) out.issues = err.issues;
    if (err.usage !== undefined) out.usage = err.usage;
    return out;
  }
  if (err instanceof ModelError) {
    const out: NodeFailure = { error: { code: err.code, message: err.message, retryable: err.retryable } };
    if (err.usage !== undefined) out.usage = err.usage;
    if (err.retryAfterMs !== undefined) out.retryAfterMs = err.retryAfterMs;
    return out;
  }
  const message = err instanceof Error ? err.message : String(err);
  return { error: { code: 'node_error', message, retryable: true } };
}
