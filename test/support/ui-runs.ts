/**
 * Runs prepared directly in a store for the browser tests: executed in this
 * process by the real runner (job-runner/runner.ts) with the offline model,
 * optionally with one node made to fail terminally, or with an artifact
 * rewritten to carry hostile text; or written event by event through the
 * Decider, as the job and the reconciler would have written them (a stalled
 * execution, a run that used up its executions).
 */
import { v7 as uuidv7 } from 'uuid';
import type { Command } from '../../shared/domain/decide.ts';
import type { BuildParams } from '../../shared/domain/params.ts';
import { getNoopPublisher } from '../../shared/events-bus/event-publisher.ts';
import { ModelError, type ModelClient } from '../../shared/llm/model-client.ts';
import { getOfflineModel } from '../../shared/llm/offline-model.ts';
import { silentLogger } from '../../shared/logger.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { NODES, OFFLINE_RESPONDERS } from '../../job-runner/nodes/index.ts';
import { defaultRunnerOptions, runExecution, type ExecutionResult } from '../../job-runner/runner.ts';
import { decideAndAppend } from '../../shared/run-log/decide-and-append.ts';
import { createRun, ctx } from './runs.ts';

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

/** What the reconciler writes when it finds an execution dead (shared/domain/reconcile.ts's wording). */
export const lostBecause = (expiredAt: string) => `its lease expired at ${expiredAt} with no renewal (no heartbeat since)`;

/** One execution's life up to its last heartbeat: started, charter under way, the lease renewed until `leaseExpiresAt`. */
function startedWithHeartbeat(executionId: string, leaseExpiresAt: string): Command[] {
  return [
    { type: 'StartExecution', executionId },
    { type: 'StartAttempt', node: 'charter', executionId },
    { type: 'RecordHeartbeat', executionId, leaseExpiresAt },
  ];
}

/** The reconciler closing a dead execution and recovering with `next`. */
function lostThenRecovered(executionId: string, attempt: number, expiredAt: string, next: string | null): Command[] {
  return [
    { type: 'FinishExecution', executionId, outcome: 'lost', reason: lostBecause(expiredAt) },
    { type: 'AbandonAttempt', node: 'charter', attempt, reason: `execution lost: ${lostBecause(expiredAt)}` },
    ...(next ? [{ type: 'RequestExecution', executionId: next, reason: 'recover', by: 'reconciler' } as const] : []),
  ];
}

/**
 * A run whose build execution was lost and recovered, and whose recovering
 * execution (2 of 3) is running with its last heartbeat's lease ending at
 * `leaseExpiresAt`. The lease itself (lease.json) is taken by this process
 * for `leaseTtlMs`, so the orchestrator (and any reconciler in it) sees a
 * live execution: what the page concludes from run.json and its own clock is
 * what a test then looks at.
 */
export async function prepareStalledRun(store: RunStore, options: { leaseExpiresAt: Date; leaseTtlMs: number }): Promise<{ runId: string; lost: string; recovering: string }> {
  const { runId, executionId: lost } = await createRun(store);
  await store.indexRun('acme', runId);
  const recovering = `exec-${uuidv7()}`;
  const firstExpiry = new Date(Date.now() - 60_000).toISOString();
  await decideAndAppend(store, runId, [
    ...startedWithHeartbeat(lost, firstExpiry),
    ...lostThenRecovered(lost, 1, firstExpiry, recovering),
    ...startedWithHeartbeat(recovering, options.leaseExpiresAt.toISOString()),
  ], ctx);
  const lease = await store.leases.acquire(runId, recovering, options.leaseTtlMs);
  if (!lease.acquired) throw new Error(`the lease of ${runId} is held by ${lease.holder.executionId}`);
  return { runId, lost, recovering };
}

export const EXHAUSTED_REASON = 'The run was stopped after using all 3 executions it may use (RUN_MAX_EXECUTIONS): the last one was lost because its job process is gone.';

/** A run whose three executions were all lost: failed, code `executions_exhausted`. */
export async function prepareExhaustedRun(store: RunStore): Promise<{ runId: string }> {
  const { runId, executionId: e1 } = await createRun(store);
  await store.indexRun('acme', runId);
  const [e2, e3] = [`exec-${uuidv7()}`, `exec-${uuidv7()}`];
  const expired = new Date(Date.now() - 30_000).toISOString();
  await decideAndAppend(store, runId, [
    ...startedWithHeartbeat(e1, expired), ...lostThenRecovered(e1, 1, expired, e2),
    ...startedWithHeartbeat(e2, expired), ...lostThenRecovered(e2, 2, expired, e3),
    ...startedWithHeartbeat(e3, expired), ...lostThenRecovered(e3, 3, expired, null),
    { type: 'FailRun', node: null, code: 'executions_exhausted', reason: EXHAUSTED_REASON },
  ], ctx);
  return { runId };
}
