/**
 * The local launchers' executions, by LaunchResult name and by execution id
 * (the latest launch with that id). Ended executions stay findable for
 * `waitFor()` up to a bound, so a long-lived orchestrator does not grow
 * without limit.
 */
import type { LaunchRequest } from './job-launcher.ts';

const MAX_REMEMBERED_ENDED = 1000;

export interface ExecutionRegistry<E extends { req: LaunchRequest }> {
  add(name: string, e: E): void;
  /** Drops an execution that never started. */
  remove(name: string): void;
  /** Marks an execution ended: findable until MAX_REMEMBERED_ENDED later ones have ended. */
  ended(name: string): void;
  /** By name, or by execution id (the latest launch with it). */
  find(idOrName: string): E | undefined;
  all(): E[];
}

export function executionRegistry<E extends { req: LaunchRequest }>(): ExecutionRegistry<E> {
  const byName = new Map<string, E>();
  const latestByExecutionId = new Map<string, string>();
  const endedNames: string[] = [];
  const remove = (name: string): void => {
    const e = byName.get(name);
    byName.delete(name);
    if (e && latestByExecutionId.get(e.req.executionId) === name) latestByExecutionId.delete(e.req.executionId);
  };
  return {
    add: (name, e) => {
      byName.set(name, e);
      latestByExecutionId.set(e.req.executionId, name);
    },
    remove,
    ended: (name) => {
      endedNames.push(name);
      while (endedNames.length > MAX_REMEMBERED_ENDED) remove(endedNames.shift() ?? '');
    },
    find: (idOrName) => byName.get(idOrName) ?? byName.get(latestByExecutionId.get(idOrName) ?? ''),
    all: () => [...byName.values()],
  };
}
