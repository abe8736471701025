/**
 * Runs the whole pipeline in one process, in topological order, with no log
 * and no store: for tests, the Gemini smoke script and demos. The real runner
 * (job-runner/) schedules in parallel, records every attempt and persists.
 * Values are passed on through a JSON round trip, as the runner's
 * `<id>.json` artifacts would pass them.
 */
import type { BuildParams } from '../../shared/domain/params.ts';
import type { ModelClient } from '../../shared/llm/model-client.ts';
import type { NodeFailure, NodeResult } from './node.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { validatePipeline } from '../../shared/domain/pipeline.ts';
import { runNode } from './index.ts';
import { describeNodeFailure } from './node.ts';

export interface InOrderOptions {
  params: BuildParams;
  model: ModelClient;
  runId?: string;
  signal?: AbortSignal;
  /** Attempts per node for retryable failures (no backoff); default 1. */
  maxAttempts?: number;
  /** Only these nodes (their deps must be in the list before them or in `done`). */
  only?: readonly string[];
  onAttempt?: (event: { node: string; attempt: number; durationMs: number; failure?: NodeFailure }) => void;
}

/** Thrown when a node fails for good in an in-order run. */
export class InOrderRunError extends Error {
  override readonly name = 'InOrderRunError';
  readonly node: string;
  readonly failure: NodeFailure;
  constructor(node: string, failure: NodeFailure) {
    super(`${node} failed: ${failure.error.code}: ${failure.error.message}${failure.issues ? ` [${failure.issues.join('; ')}]` : ''}`);
    this.node = node;
    this.failure = failure;
  }
}

export async function runPipelineInOrder(opts: InOrderOptions): Promise<Map<string, NodeResult>> {
  const order = validatePipeline(SCENARIOFORGE_PIPELINE).filter((id) => !opts.only || opts.only.includes(id));
  const deps = new Map(SCENARIOFORGE_PIPELINE.nodes.map((n) => [n.id, n.deps]));
  const results = new Map<string, NodeResult>();
  const signal = opts.signal ?? new AbortController().signal;
  for (const id of order) {
    const inputs: Record<string, unknown> = {};
    for (const dep of deps.get(id) ?? []) {
      const r = results.get(dep);
      if (r) inputs[dep] = JSON.parse(JSON.stringify(r.value)) as unknown;
    }
    const maxAttempts = Math.max(1, opts.maxAttempts ?? 1);
    for (let attempt = 1; ; attempt += 1) {
      const started = performance.now();
      try {
        const result = await runNode(id, { runId: opts.runId ?? 'in-order', params: opts.params, inputs, model: opts.model, signal, attempt });
        opts.onAttempt?.({ node: id, attempt, durationMs: Math.round(performance.now() - started) });
        results.set(id, result);
        break;
      } catch (err) {
        const failure = describeNodeFailure(err);
        opts.onAttempt?.({ node: id, attempt, durationMs: Math.round(performance.now() - started), failure });
        if (!failure.error.retryable || attempt >= maxAttempts) throw new InOrderRunError(id, failure);
      }
    }
  }
  return results;
}
