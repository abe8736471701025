/**
 * The orchestrator's write path: decide and append through the Decider, then
 * refresh run.json and fan the committed events out. Appends are the truth;
 * the projection write and the publish after them are best effort (a reader
 * rebuilds a stale run.json, and a resumed job's outbox publishes what we did not).
 */
import type { Command } from '../../shared/domain/decide.ts';
import type { RunState } from '../../shared/domain/run-state.ts';
import { getOutboxPublisher, type Outbox } from '../../shared/run-log/outbox.ts';
import { ensureError } from '../../shared/logger.ts';
import { decideAndAppend, type Decided } from '../../shared/run-log/decide-and-append.ts';
import type { AppContext } from '../context.ts';

/** One outbox per run and app (kept in the app's caches), so publishes for a run never overlap. */
function outboxFor(app: AppContext, runId: string, tenant: string): Outbox {
  let outbox = app.caches.outboxes.get(runId);
  if (!outbox) {
    outbox = getOutboxPublisher({ store: app.store, publisher: app.publisher, runId, tenant, logger: app.logger });
    app.caches.outboxes.set(runId, outbox);
  }
  return outbox;
}

/** After a commit: run.json and fan-out, neither of which may fail the request. */
export async function afterCommit(app: AppContext, runId: string, decided: Decided): Promise<void> {
  if (decided.events.length === 0) return;
  try {
    await app.store.writeProjection(runId, decided.state);
  } catch (err) {
    app.logger.warn({ runId, err: ensureError(err).message }, 'run.json not rewritten; readers will fold the log');
  }
  if (app.publisher.kind !== 'none') {
    void outboxFor(app, runId, decided.state.tenant).publishCommitted(decided.events, decided.state.status);
  }
}

/**
 * Decides `commands` against the current log and appends the result (see
 * decideAndAppend); illegal commands throw DomainError and append nothing.
 */
export async function commit(
  app: AppContext,
  runId: string,
  commands: Command[] | ((state: RunState) => Command[]),
): Promise<Decided> {
  const decided = await decideAndAppend(app.store, runId, commands, app.decideContext);
  await afterCommit(app, runId, decided);
  return decided;
}
