/**
 * What an owner does to a run: retry a node, resume, cancel, delete. Each is
 * a command decided against the log (so an illegal one is a 404/409 and
 * appends nothing); another tenant's run is answered like an unknown one.
 */
import type { Request, Response } from 'express';
import { Router, type RequestHandler } from 'express';
import { decideAll, type Command } from '../../shared/domain/decide.ts';
import { closeStalled } from '../../shared/domain/reconcile.ts';
import { runVisibility, unfinishedExecution } from '../../shared/domain/run-checks.ts';
import { initialState, type RunState } from '../../shared/domain/run-state.ts';
import { ensureError } from '../../shared/logger.ts';
import type { AppContext } from '../context.ts';
import { tenantOf } from '../auth.ts';
import { HttpError, requireVisibleRun } from '../http-errors.ts';
import { runLinks } from '../links.ts';
import { nodeParam, runIdParam } from '../request-input.ts';
import { commit } from '../runs/commit.ts';
import { launchExecution } from '../runs/launch.ts';
import { observeRun } from '../runs/reconciler.ts';
import { loadRun } from '../runs/run-reader.ts';
import { chooseModel, GEMINI_KEY_HEADER } from '../runs/model-choice.ts';

/** The run must exist and belong to `tenant`; otherwise 404, exactly as for an unknown run. */
function requireOwned(state: RunState, runId: string, tenant: string): void {
  requireVisibleRun(runId, { state }, { by: 'owner', tenant });
}

export function runOperationRoutes(app: AppContext, keyed: RequestHandler[]): Router {
  const router = Router();

  /**
   * Appends `commands` (after the ownership check), launches `executionId`, answers 202.
   * The run is back among the active runs before its new execution is on record, so the reconciler watches it.
   */
  const execute = async (req: Request, res: Response, runId: string, executionId: string, commands: (s: RunState) => Command[], seen?: RunState) => {
    const tenant = tenantOf(res);
    const model = chooseModel(app, req.get(GEMINI_KEY_HEADER));
    const before = seen ?? (await loadRun(app, runId, { repair: false }))?.state ?? initialState();
    requireOwned(before, runId, tenant);
    // Refused before anything is written (the active entry included); the append below checks again on the newest log.
    decideAll(commands(before), before, app.decideContext());
    await app.store.activeRuns.enter(runId, tenant);
    const decided = await commit(app, runId, (state) => {
      requireOwned(state, runId, tenant);
      return commands(state);
    });
    const launch = await launchExecution(app, runId, executionId, model.jobEnv);
    const state = launch.state ?? decided.state;
    const warnings = [...model.warnings, ...launch.warnings];
    res.status(202).json({
      runId,
      status: state.status,
      executionId,
      links: runLinks(req, app.config, runId),
      ...(warnings.length > 0 ? { warnings } : {}),
    });
  };

  router.post('/runs/:id/nodes/:node/retry', ...keyed, async (req, res) => {
    const runId = runIdParam(req);
    const node = nodeParam(req);
    const by = tenantOf(res);
    const executionId = app.newId();
    await execute(req, res, runId, executionId, (state) => {
      // A deleted run is the Decider's to refuse; a live one must have the node.
      if (runVisibility(state) === 'visible' && !state.nodes[node]) {
        throw new HttpError(404, 'not_found', `run ${runId} has no node "${node}"`, [{ field: 'node', message: 'no such node in this run' }]);
      }
      return [
        { type: 'RetryNode', node, by },
        { type: 'RequestExecution', executionId, reason: 'retry', by },
      ];
    });
  });

  router.post('/runs/:id/resume', ...keyed, async (req, res) => {
    const runId = runIdParam(req);
    const by = tenantOf(res);
    const executionId = app.newId();
    // A resume never runs beside a live execution: a stalled one (dead by the reconciler's own observation) is closed `lost` first.
    const seen = (await loadRun(app, runId, { repair: false }))?.state ?? initialState();
    requireOwned(seen, runId, by);
    const observed = await observeRun(app, runId, seen);
    const observedId = unfinishedExecution(seen)?.id;
    await execute(req, res, runId, executionId, (state) => {
      // Judged on the execution that was observed; a newer one is the Decider's to refuse.
      const stalled = unfinishedExecution(state)?.id === observedId ? closeStalled(state, observed) : null;
      return [...(stalled?.commands ?? []), { type: 'RequestExecution', executionId, reason: 'resume', by }];
    }, seen);
  });

  router.post('/runs/:id/cancel', ...keyed, async (req, res) => {
    const runId = runIdParam(req);
    const tenant = tenantOf(res);
    const decided = await commit(app, runId, (state) => {
      requireOwned(state, runId, tenant);
      return [{ type: 'RequestCancel', by: tenant }];
    });
    res.status(202).json({ runId, status: decided.state.status, cancelRequested: decided.state.cancelRequested || decided.state.status === 'cancelled', links: runLinks(req, app.config, runId) });
  });

  router.delete('/runs/:id', ...keyed, async (req, res) => {
    const runId = runIdParam(req);
    const tenant = tenantOf(res);
    const decided = await commit(app, runId, (state) => {
      requireOwned(state, runId, tenant);
      return [{ type: 'DeleteRun', by: tenant }];
    });
    // The log says deleted, which every reader honours; the claim and the listing entry follow.
    try {
      await Promise.all([
        app.store.releaseClaim(tenant, decided.state.signature, runId),
        app.store.unindexRun(tenant, runId),
      ]);
    } catch (err) {
      app.logger.warn({ runId, err: ensureError(err).message }, 'run deleted; releasing its claim or listing entry failed (readers skip deleted runs)');
    }
    res.status(200).json({ runId, deleted: true });
  });

  return router;
}
