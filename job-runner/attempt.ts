/**
 * One attempt's life: read the deps' values, run the node, turn its result
 * into artifacts and record the outcome. The success event names the
 * artifacts, so it is recorded with `after`: its place in the log is taken at
 * once (dependents may start on the view), but it becomes durable only after
 * the artifacts are. A stopped attempt (cancel, SIGTERM, timeout, deadline)
 * records nothing here: the execution records why it stopped it.
 */
import type { Command } from '../shared/domain/decide.ts';
import type { ArtifactRef, NewEvent } from '../shared/domain/events.ts';
import type { BuildParams } from '../shared/domain/params.ts';
import type { RunState } from '../shared/domain/run-state.ts';
import type { ModelClient } from '../shared/llm/model-client.ts';
import type { Logger } from '../shared/logger.ts';
import { sha256Hex, type RunStore } from '../shared/store/run-store.ts';
import { describeNodeFailure, type NodeResult, type PipelineNode } from './nodes/node.ts';

export interface RecordOptions {
  /** Persist first: the events become durable only after this resolves (their place in the order is kept). */
  after?: () => Promise<void>;
}

/** Decides against the view and queues the events; null when the command no longer applies. */
export type Recorder = (command: Command, options?: RecordOptions) => NewEvent[] | null;

/** What an attempt needs from its execution. */
export interface AttemptHost {
  runId: string;
  store: RunStore;
  model: ModelClient;
  nodes: Readonly<Record<string, PipelineNode>>;
  params: BuildParams;
  values: NodeValues;
  log: Logger;
  now: () => number;
  failpoint: (name: 'attempt-started' | 'artifacts-written') => void;
  view: () => RunState;
  record: Recorder;
  /** Whether this execution still holds the run's lease: only then may it replace an artifact it finds (see PutArtifactOptions). */
  holdsRun: () => Promise<boolean>;
}

export type AttemptEnd =
  | { type: 'succeeded' }
  /** Aborted by the execution; nothing recorded. */
  | { type: 'stopped' }
  /** `retry` is set when the failure left budget: the node waits, then runs again. */
  | { type: 'failed'; retry: { count: number; retryAfterMs?: number } | null };

class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

/**
 * The values of succeeded nodes, as dependents read them: kept from this
 * execution's own attempts, else read back from `<node>.json`.
 */
export class NodeValues {
  private readonly values = new Map<string, unknown>();
  private readonly store: RunStore;
  private readonly runId: string;

  constructor(store: RunStore, runId: string) {
    this.store = store;
    this.runId = runId;
  }

  remember(node: string, value: unknown): void {
    this.values.set(node, value);
  }

  async read(node: string): Promise<unknown> {
    if (this.values.has(node)) return this.values.get(node);
    const artifact = await this.store.getArtifact(this.runId, `${node}.json`);
    if (!artifact) throw new Error(`artifact ${node}.json of a succeeded node is missing`);
    const value: unknown = JSON.parse(artifact.body.toString('utf8'));
    this.values.set(node, value);
    return value;
  }
}

/** Runs attempt `attempt` of `id` (already recorded started) and records how it ended. */
export async function runAttempt(host: AttemptHost, id: string, attempt: number, signal: AbortSignal): Promise<AttemptEnd> {
  const deps = host.view().nodes[id]?.deps ?? [];
  const startedAt = host.now();
  try {
    host.failpoint('attempt-started');
    const node = host.nodes[id];
    if (!node) throw new Error(`no implementation for node ${id}`);
    const inputs: Record<string, unknown> = {};
    for (const d of deps) inputs[d] = await host.values.read(d);
    const result = await node.run({ runId: host.runId, params: host.params, inputs, model: host.model, signal, attempt });
    if (signal.aborted) throw new Interrupted();
    recordSuccess(host, id, attempt, startedAt, result);
    return { type: 'succeeded' };
  } catch (err) {
    if (signal.aborted) return { type: 'stopped' };
    return recordFailure(host, id, attempt, startedAt, err);
  }
}

/** The node's value as `<id>.json` first, then its extra files. */
function blobsOf(id: string, result: NodeResult): { name: string; bytes: Buffer; contentType: string }[] {
  const files = [{ name: `${id}.json`, body: JSON.stringify(result.value, null, 2) + '\n', contentType: 'application/json' }, ...result.files];
  return files.map((f) => ({ name: f.name, bytes: typeof f.body === 'string' ? Buffer.from(f.body, 'utf8') : f.body, contentType: f.contentType }));
}

function recordSuccess(host: AttemptHost, id: string, attempt: number, startedAt: number, result: NodeResult): void {
  const blobs = blobsOf(id, result);
  const artifacts: ArtifactRef[] = blobs.map((b) => ({ name: b.name, sha256: sha256Hex(b.bytes), size: b.bytes.length, contentType: b.contentType }));
  host.values.remember(id, result.value);
  // Dependents may start now; the success event becomes durable only after its artifacts.
  host.record(
    {
      type: 'SucceedAttempt',
      node: id,
      attempt,
      durationMs: Math.round(host.now() - startedAt),
      artifacts,
      ...(result.usage ? { usage: result.usage } : {}),
    },
    {
      after: async () => {
        for (const b of blobs) await host.store.putArtifact(host.runId, b.name, b.bytes, b.contentType, { replaceOnlyIf: host.holdsRun });
        host.failpoint('artifacts-written');
      },
    },
  );
  host.log.info({ node: id, attempt, durationMs: Math.round(host.now() - startedAt) }, 'attempt succeeded');
}

/** Records attempt `attempt` of `id` failed with `err`; also how the execution records an attempt it stopped (timeout, deadline). */
export function recordFailure(host: AttemptHost, id: string, attempt: number, startedAt: number, err: unknown): AttemptEnd {
  const failure = describeNodeFailure(err);
  const events = host.record({
    type: 'FailAttempt',
    node: id,
    attempt,
    durationMs: Math.round(host.now() - startedAt),
    error: failure.error,
    ...(failure.usage ? { usage: failure.usage } : {}),
    ...(failure.issues ? { normalization: { issues: failure.issues } } : {}),
  });
  const failed = events?.[0];
  const willRetry = failed?.type === 'node.attempt.failed' && failed.data.willRetry;
  host.log.warn({ node: id, attempt, code: failure.error.code, willRetry }, 'attempt failed');
  if (!willRetry) return { type: 'failed', retry: null };
  const count = host.view().nodes[id]?.budgetUsed ?? 1;
  return { type: 'failed', retry: { count, ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}) } };
}
