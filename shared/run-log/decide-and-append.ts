/**
 * The write path of every command: read the log, fold, decide, append under
 * the generation that was read. When another writer got there first the
 * append is refused, and the whole read–fold–decide runs again on the new
 * log, so an invariant is always checked against the state it is written on.
 */
import { decideAll, type Command, type DecideContext } from '../domain/decide.ts';
import type { StoredEvent } from '../domain/events.ts';
import { project, type RunState } from '../domain/run-state.ts';
import { GenerationMismatchError } from '../store/event-log.ts';
import type { RunStore } from '../store/run-store.ts';

export interface Decided {
  state: RunState;
  events: StoredEvent[];
}

/** Decides `commands` in order against the current log and appends the result atomically. */
export async function decideAndAppend(
  store: RunStore,
  runId: string,
  commands: Command[] | ((state: RunState) => Command[]),
  ctx: () => DecideContext,
  maxRounds = 50,
): Promise<Decided> {
  for (let round = 0; ; round++) {
    const log = await store.readLog(runId);
    const read = project(log.events);
    // Later commands see the effect of earlier ones.
    const { state, events: pending } = decideAll(typeof commands === 'function' ? commands(read) : commands, read, ctx());
    if (pending.length === 0) return { state, events: [] };
    try {
      const result = await store.append(runId, pending, { expectedGeneration: log.generation });
      return { state, events: result.committed };
    } catch (err) {
      if (!(err instanceof GenerationMismatchError) || round >= maxRounds) throw err;
    }
  }
}
