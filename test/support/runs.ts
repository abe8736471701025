/** Creating runs directly in a store, the way the orchestrator does, for job-level tests. */
import { v7 as uuidv7 } from 'uuid';
import type { BuildParams } from '../../shared/domain/params.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { decideAndAppend } from '../../shared/run-log/decide-and-append.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { NODES, OFFLINE_RESPONDERS } from '../../job-runner/nodes/index.ts';
import { runExecution, type ExecutionResult, type RunnerOptions } from '../../job-runner/runner.ts';
import { getNoopPublisher } from '../../shared/events-bus/event-publisher.ts';
import { getOfflineModel } from '../../shared/llm/offline-model.ts';
import { silentLogger } from '../../shared/logger.ts';

export const SAMPLE_PARAMS: BuildParams = {
  company: 'Acme Grid',
  focalQuestion: 'How will European grid operators fund the 2035 transition?',
  horizonYear: 2035,
  region: 'Europe',
  industry: 'Electric utilities',
};

export const ctx = () => ({ now: new Date().toISOString(), newId: uuidv7 });

export async function createRun(
  store: RunStore,
  options: {
    params?: BuildParams;
    maxAttempts?: number;
    executionId?: string;
    tenant?: string;
    /** Attempt time limits: one for every node, or per node id. */
    timeoutMs?: number | Record<string, number>;
    /** run.created.deadlineAt (ISO). */
    deadlineAt?: string;
  } = {},
): Promise<{ runId: string; executionId: string }> {
  const runId = uuidv7();
  const executionId = options.executionId ?? `exec-${uuidv7()}`;
  await decideAndAppend(
    store,
    runId,
    [
      {
        type: 'CreateRun',
        data: {
          runId,
          tenant: options.tenant ?? 'acme',
          label: 'test run',
          params: { ...(options.params ?? SAMPLE_PARAMS) },
          signature: `sha256:${'1'.repeat(64)}`,
          pipelineVersion: 'v1',
          appVersion: 'test',
          nodes: SCENARIOFORGE_PIPELINE.nodes.map((n) => {
            const limit = typeof options.timeoutMs === 'number' ? options.timeoutMs : options.timeoutMs?.[n.id];
            return { id: n.id, deps: [...n.deps], maxAttempts: options.maxAttempts ?? 3, ...(limit !== undefined ? { timeoutMs: limit } : {}) };
          }),
          llm: { provider: 'offline', model: 'offline-library-v1', keySource: 'none', keyFingerprint: null },
          ...(options.deadlineAt ? { deadlineAt: options.deadlineAt } : {}),
        },
      },
      { type: 'RequestExecution', executionId, reason: 'build' },
    ],
    ctx,
  );
  return { runId, executionId };
}

/** Runner options for in-process executions in tests: fast retries and polls, a long lease. */
export const TEST_RUNNER: RunnerOptions = { concurrency: 4, retryBaseMs: 5, retryMaxMs: 50, pollMs: 20, leaseTtlMs: 10_000, projectionIntervalMs: 10 };

/** Runs one execution of `runId` in this process on the offline model, as a job would. */
export function runOfflineInProcess(store: RunStore, runId: string, executionId: string, options: RunnerOptions = TEST_RUNNER): Promise<ExecutionResult> {
  return runExecution(
    { store, model: getOfflineModel({ responders: OFFLINE_RESPONDERS }), nodes: NODES, publisher: getNoopPublisher(), logger: silentLogger, newId: uuidv7 },
    { runId, executionId },
    options,
    new AbortController().signal,
  );
}
