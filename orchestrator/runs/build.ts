/**
 * `POST /build` semantics (DESIGN §4): the signature of the normalised
 * params names one run per tenant, claimed create-only, so any number of
 * identical concurrent builds make exactly one run.
 *
 * The claim is written before the run's log. A build that finds a claim but
 * no log yet is inside the winner's window: it waits for the log briefly. If
 * the log still does not appear (the winner died between the two writes), it
 * creates the run under the *claimed* id itself. Creating a run is a
 * create-only append (`expectedGeneration: null`), so whichever of them gets
 * there first creates it and every other one finds it: never two runs for a
 * claim, and never a claim stuck on a run that will not come.
 *
 * Every index is written before the log, so a run that exists is always
 * listed and always watched: claim → listing entry → active entry → log
 * (`run.created` + `execution.requested`) → launch. A listing entry without a
 * run is skipped by readers; an active entry without one leaves the index at
 * the reconciler's next sweep; a logged run whose launch never happened is
 * launched by the reconciler. `app.failpoint` marks each step for the crash tests.
 */
import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { DomainError } from '../../shared/domain/decide.ts';
import type { BuildParams } from '../../shared/domain/params.ts';
import type { RunStatus } from '../../shared/domain/run-state.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { StoreUnavailableError } from '../../shared/store/blob-store.ts';
import type { AppContext } from '../context.ts';
import { commit } from './commit.ts';
import { launchExecution } from './launch.ts';
import type { ModelChoice } from './model-choice.ts';
import { loadRun, type LoadedRun } from './run-reader.ts';

export interface BuildInput {
  tenant: string;
  params: BuildParams;
  label?: string | undefined;
  force: boolean;
  model: ModelChoice;
  /** Overrides RUN_DEADLINE_S for this run (seconds). */
  deadlineSeconds?: number | undefined;
}

export interface BuildOutcome {
  runId: string;
  status: RunStatus;
  reused: boolean;
  warnings: string[];
}

/** `sha256:` + hex SHA-256 of the stable JSON of {tenant, pipelineVersion, params}. */
export function buildSignature(tenant: string, pipelineVersion: string, params: BuildParams): string {
  return `sha256:${createHash('sha256').update(stableStringify({ tenant, pipelineVersion, params })).digest('hex')}`;
}

export function defaultLabel(params: BuildParams): string {
  const q = params.focalQuestion.length > 120 ? `${params.focalQuestion.slice(0, 119)}…` : params.focalQuestion;
  return `${params.company}: ${q}`;
}

const MAX_ROUNDS = 50;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits up to `ms` for the claimed run's log to appear. */
async function waitForRun(app: AppContext, runId: string, ms: number): Promise<LoadedRun | null> {
  const deadline = Date.now() + ms;
  let pause = 10;
  for (;;) {
    const run = await loadRun(app, runId, { repair: false });
    if (run || Date.now() >= deadline) return run;
    await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
    pause = Math.min(pause * 2, 100);
  }
}

const reused = (run: LoadedRun, warnings: string[]): BuildOutcome => ({ runId: run.state.runId, status: run.state.status, reused: true, warnings });

/** `run.created.deadlineAt`: creation time plus the build's deadlineSeconds, else RUN_DEADLINE_S (0: none). */
function deadlineOf(app: AppContext, input: BuildInput): { deadlineAt?: string } {
  const seconds = input.deadlineSeconds ?? app.config.runDeadlineS;
  return seconds > 0 ? { deadlineAt: new Date(app.now().getTime() + seconds * 1000).toISOString() } : {};
}

/** Creates the run `runId` (if nobody did first), indexes it and launches its first execution. */
async function createRun(app: AppContext, input: BuildInput, runId: string, signature: string): Promise<BuildOutcome> {
  const { config, store } = app;
  const executionId = app.newId();
  await store.indexRun(input.tenant, runId);
  await store.activeRuns.enter(runId, input.tenant);
  app.failpoint('indexed');
  let decided;
  try {
    decided = await commit(app, runId, [
      {
        type: 'CreateRun',
        data: {
          runId,
          tenant: input.tenant,
          label: input.label ?? defaultLabel(input.params),
          params: { ...input.params },
          signature,
          pipelineVersion: config.pipelineVersion,
          appVersion: config.appVersion,
          nodes: SCENARIOFORGE_PIPELINE.nodes.map((n) => ({ id: n.id, deps: [...n.deps], maxAttempts: n.retry?.maxAttempts ?? config.nodeMaxAttempts, timeoutMs: n.timeoutMs ?? config.nodeTimeoutMs })),
          llm: input.model.snapshot,
          ...deadlineOf(app, input),
        },
      },
      { type: 'RequestExecution', executionId, reason: 'build', by: input.tenant },
    ]);
  } catch (err) {
    // Someone created this very run first (a build that adopted our claim, or we adopted theirs).
    if (!(err instanceof DomainError && err.code === 'conflict')) throw err;
    const run = await loadRun(app, runId, { repair: false });
    if (!run) throw err;
    return reused(run, input.model.warnings);
  }
  app.failpoint('logged');
  app.logger.info({ runId, tenant: input.tenant, executionId, llm: input.model.snapshot.provider }, 'run created');
  const launch = await launchExecution(app, runId, executionId, input.model.jobEnv);
  app.failpoint('launched');
  const state = launch.state ?? decided.state;
  return { runId, status: state.status, reused: false, warnings: [...input.model.warnings, ...launch.warnings] };
}

/** Points the claim at `runId` whatever it pointed at (force). */
async function moveClaim(app: AppContext, tenant: string, signature: string, runId: string): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const claim = await app.store.readClaim(tenant, signature);
    if (claim?.runId === runId) return;
    const moved = claim
      ? await app.store.replaceClaim(tenant, signature, runId, claim.generation)
      : await app.store.createClaim(tenant, signature, runId);
    if (moved) return;
  }
  throw new StoreUnavailableError('the build claim kept changing; try again');
}

export async function buildRun(app: AppContext, input: BuildInput): Promise<BuildOutcome> {
  const { store } = app;
  const signature = buildSignature(input.tenant, app.config.pipelineVersion, input.params);

  if (input.force) {
    const runId = app.newId();
    await moveClaim(app, input.tenant, signature, runId);
    app.failpoint('claimed');
    return createRun(app, input, runId, signature);
  }

  for (let round = 0; round < MAX_ROUNDS; round++) {
    const claim = await store.readClaim(input.tenant, signature);
    if (!claim) {
      const runId = app.newId();
      if (await store.createClaim(input.tenant, signature, runId)) {
        app.failpoint('claimed');
        return createRun(app, input, runId, signature);
      }
      continue; // another build claimed it between our read and our create
    }
    const run = await waitForRun(app, claim.runId, app.claimWaitMs);
    // The claimant never wrote its run: create it under the claimed id (create-only, see above).
    if (!run) return createRun(app, input, claim.runId, signature);
    if (!run.state.deleted) return reused(run, input.model.warnings);
    // The claimed run was deleted (and its claim not yet released): claim anew, under the generation we read.
    const runId = app.newId();
    if (await store.replaceClaim(input.tenant, signature, runId, claim.generation)) {
      app.failpoint('claimed');
      return createRun(app, input, runId, signature);
    }
  }
  throw new StoreUnavailableError('the build claim kept changing; try again');
}
