/**
 * The local launchers' executions and what became of them, by LaunchResult
 * name and by execution id (the latest launch with that id). Ended executions
 * stay findable — for `waitFor()` and `observe()` — up to a bound, so a
 * long-lived orchestrator does not grow without limit.
 */
import { readFile } from 'node:fs/promises';
import type { ExecutionObservation, LaunchRequest } from './job-launcher.ts';

const MAX_REMEMBERED_ENDED = 1000;

export type EndedObservation = Extract<ExecutionObservation, { state: 'ended' }>;

/** What every local execution carries: its request and its `platformExecution` handle. */
export interface LocalExecution {
  req: LaunchRequest;
  handle: string;
}

export interface ExecutionRegistry<E extends LocalExecution> {
  add(name: string, e: E): void;
  /** Drops an execution that never started. */
  remove(name: string): void;
  /**
   * Marks an execution ended with what became of it, or `detached` when the
   * launcher let go of it on close (it may still be running, unsupervised).
   * Findable until MAX_REMEMBERED_ENDED later ones have ended.
   */
  ended(name: string, end: EndedObservation | 'detached'): void;
  /** By name, or by execution id (the latest launch with it). */
  find(idOrName: string): E | undefined;
  all(): E[];
  /**
   * The JobLauncher's `observe` for executions this registry holds: running
   * until it ended, then what it ended as. One it does not hold (launched by
   * an orchestrator before a restart, or forgotten) is judged by its handle.
   */
  observe(executionId: string, platformExecution?: string): Promise<ExecutionObservation>;
}

export function executionRegistry<E extends LocalExecution>(): ExecutionRegistry<E> {
  const byName = new Map<string, E>();
  const latestByExecutionId = new Map<string, string>();
  const ends = new Map<string, EndedObservation | 'detached'>();
  const endedNames: string[] = [];
  const remove = (name: string): void => {
    const e = byName.get(name);
    byName.delete(name);
    ends.delete(name);
    if (e && latestByExecutionId.get(e.req.executionId) === name) latestByExecutionId.delete(e.req.executionId);
  };
  const nameOf = (executionId: string, handle: string | undefined): string | undefined => {
    // The launch the handle (or LaunchResult name) names, if it is one of ours; else the latest launch with that id.
    if (handle !== undefined) {
      if (byName.get(handle)?.req.executionId === executionId) return handle;
      for (const [name, e] of byName) if (e.handle === handle && e.req.executionId === executionId) return name;
    }
    return latestByExecutionId.get(executionId);
  };
  return {
    add: (name, e) => {
      byName.set(name, e);
      latestByExecutionId.set(e.req.executionId, name);
    },
    remove,
    ended: (name, end) => {
      if (!byName.has(name)) return;
      ends.set(name, end);
      endedNames.push(name);
      while (endedNames.length > MAX_REMEMBERED_ENDED) remove(endedNames.shift() ?? '');
    },
    find: (idOrName) => byName.get(idOrName) ?? byName.get(latestByExecutionId.get(idOrName) ?? ''),
    all: () => [...byName.values()],
    observe: async (executionId, platformExecution) => {
      const name = nameOf(executionId, platformExecution);
      const e = name === undefined ? undefined : byName.get(name);
      if (name === undefined || !e) return observeUnsupervised(executionId, platformExecution);
      const end = ends.get(name);
      if (end === undefined) return { state: 'running' };
      return end === 'detached' ? observeUnsupervised(executionId, e.handle) : end;
    },
  };
}

/**
 * An execution no launcher here supervises. A process-mode handle names the
 * first attempt's pid: if that process is alive and was started for this
 * execution (its environment says so; the pid may have been reused), the
 * execution is running. Anything else is `unknown`, never `ended`: a later
 * attempt may run under another pid, and a worker holds many executions, so
 * only the lease can tell.
 */
async function observeUnsupervised(executionId: string, handle: string | undefined): Promise<ExecutionObservation> {
  const local = /^local:(\d+)$/.exec(handle ?? '');
  if (local?.[1]) {
    const pid = Number(local[1]);
    if (await runsExecution(pid, executionId)) return { state: 'running' };
    return { state: 'unknown', reason: `this orchestrator did not start execution ${executionId} (or no longer remembers it), and its first job process (pid ${pid}) is gone` };
  }
  const worker = /^worker:(\d+):/.exec(handle ?? '');
  if (worker?.[1]) {
    return { state: 'unknown', reason: `this orchestrator did not start execution ${executionId} (or no longer remembers it) in its job worker; the worker it ran in was pid ${worker[1]}` };
  }
  return { state: 'unknown', reason: `this orchestrator has no record of execution ${executionId}` };
}

/** Whether `pid` is alive and was started with EXECUTION_ID=<executionId> (Linux /proc; elsewhere: false). */
async function runsExecution(pid: number, executionId: string): Promise<boolean> {
  try {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    return environ.split('\0').includes(`EXECUTION_ID=${executionId}`);
  } catch {
    return false;
  }
}
