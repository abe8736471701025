/**
 * Runs prepared directly in a store for the browser tests: executed in this
 * process by the real runner (job-runner/runner.ts) with the offline model,
 * optionally with one node made to fail terminally, or with an artifact
 * rewritten to carry hostile text.
 */
import { v7 as uuidv7 } from 'uuid';
import type { BuildParams } from '../../shared/domain/params.ts';
import { getNoopPublisher } from '../../shared/events-bus/event-publisher.ts';
import { ModelError, type ModelClient } from '../../shared/llm/model-client.ts';
import { getOfflineModel } from '../../shared/llm/offline-model.ts';
import { silentLogger } from '../../shared/logger.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { NODES, OFFLINE_RESPONDERS } from '../../job-runner/nodes/index.ts';
import { defaultRunnerOptions, runExecution, type ExecutionResult } from '../../job-runner/runner.ts';
import { createRun } from './runs.ts';

export const INJECTED_FAILURE = 'the model refused this request (failure injected by the test)';

/** The offline model, except that `node` fails with a terminal (non-retryable) error. */
export function modelFailingOn(node: string): ModelClient {
  const offline = getOfflineModel({ responders: OFFLINE_RESPONDERS });
  return {
    provider: offline.provider,
    model: offline.model,
    async generate(req) {
      if (req.node === node) throw new ModelError('bad_request', INJECTED_FAILURE, { retryable: false, status: 400 });
      return offline.generate(req);
    },
  };
}

export async function executeRun(store: RunStore, runId: string, executionId: string, model: ModelClient): Promise<ExecutionResult> {
  return runExecution(
    { store, model, nodes: NODES, publisher: getNoopPublisher(), logger: silentLogger, newId: uuidv7 },
    { runId, executionId },
    { ...defaultRunnerOptions(store), retryBaseMs: 10 },
    new AbortController().signal,
  );
}

/**
 * A run of tenant `tenant` (default acme), listed for it: finished with the
 * offline model, failed at `failOn`, or (`execute: false`) requested and
 * never started, as if its execution died before it began.
 */
export async function prepareRun(
  store: RunStore,
  options: { tenant?: string; params?: BuildParams; failOn?: string; execute?: boolean } = {},
): Promise<{ runId: string; result: ExecutionResult | null }> {
  const { runId, executionId } = await createRun(store, {
    ...(options.tenant ? { tenant: options.tenant } : {}),
    ...(options.params ? { params: options.params } : {}),
  });
  await store.indexRun(options.tenant ?? 'acme', runId);
  if (options.execute === false) return { runId, result: null };
  const model = options.failOn ? modelFailingOn(options.failOn) : getOfflineModel({ responders: OFFLINE_RESPONDERS });
  const result = await executeRun(store, runId, executionId, model);
  return { runId, result };
}

/** Rewrites one scenario artifact so its model text carries markup that must render as text. */
export async function makeScenarioHostile(store: RunStore, runId: string, node: string, payload: string): Promise<void> {
  const artifact = await store.getArtifact(runId, `${node}.json`);
  if (!artifact) throw new Error(`run ${runId} has no ${node}.json`);
  const value = JSON.parse(artifact.body.toString('utf8')) as Record<string, unknown> & { winners: string[] };
  value.name = `${String(value.name)} ${payload}`;
  value.narrative = `${payload} ${String(value.narrative)}`;
  value.winners = [payload, ...value.winners.slice(1)];
  await store.putArtifact(runId, `${node}.json`, JSON.stringify(value, null, 2), 'application/json');
}
