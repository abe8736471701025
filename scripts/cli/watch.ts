/**
 * `scenarioforge watch <runId>`, and the live progress `build --watch`,
 * `retry --watch`, `resume --watch` and the demo show: the run's SSE stream
 * folded with the same `project` that makes run.json, drawn as a progress
 * bar, until the run is settled. Exit 0 when it succeeded, 1 otherwise.
 */
import { project, initialState, type RunState } from '../../shared/domain/run-state.ts';
import type { ApiClient } from './api-client.ts';
import { followRunEvents, type StreamEnd } from './event-stream.ts';
import { getProgressReporter, progressOf, type Screen } from './progress.ts';
import type { CommandIo } from './terminal.ts';

export interface WatchResult {
  state: RunState;
  end: StreamEnd;
}

/** Follows `runId` to the end, drawing progress on `screen`. */
export async function watchRun(client: ApiClient, runId: string, screen: Screen, signal?: AbortSignal): Promise<WatchResult> {
  const reporter = getProgressReporter(screen);
  let state = initialState();
  try {
    const end = await followRunEvents(client.url, runId, {
      onEvents(events) {
        state = project(events, state);
        reporter.update(progressOf(state));
      },
      ...(signal ? { signal } : {}),
    });
    return { state, end };
  } finally {
    reporter.finish();
  }
}

/** One line on how the run ended: success with its node count, or where and why it failed. */
export function describeOutcome(result: WatchResult): string {
  const { state, end } = result;
  if (end.deleted) return `run ${end.runId} was deleted`;
  const count = `${state.progress.done}/${state.progress.total} nodes`;
  if (end.status === 'succeeded') return `run ${end.runId} succeeded: ${count}`;
  if (end.status === 'cancelled') return `run ${end.runId} was cancelled: ${count}`;
  const node = state.failure?.node ?? Object.entries(state.nodes).find(([, n]) => n.status === 'failed')?.[0] ?? null;
  if (node === null) return `run ${end.runId} ${end.status}: ${state.failure?.reason ?? count}`;
  const error = state.nodes[node]?.lastAttempt?.error;
  const why = error ? `${error.code}: ${error.message}` : (state.failure?.reason ?? 'no error recorded');
  return `run ${end.runId} failed at node "${node}" (${why}); retry it with: scenarioforge retry ${end.runId} ${node}`;
}

export function watchSummary(result: WatchResult): Record<string, unknown> {
  return {
    runId: result.end.runId,
    status: result.end.status,
    deleted: result.end.deleted,
    progress: result.state.progress,
    failure: result.state.failure,
  };
}

/** Watches and reports the way every watching command does; returns the exit code. */
export async function watchAndReport(io: CommandIo, client: ApiClient, runId: string, extra: Record<string, unknown> = {}): Promise<number> {
  // Machine output keeps stdout for the one JSON document; progress goes to stderr then.
  const screen = io.json ? io.stderr : io.stdout;
  const result = await watchRun(client, runId, screen);
  const ok = result.end.status === 'succeeded' && !result.end.deleted;
  if (io.json) io.printJson({ ...extra, ...watchSummary(result) });
  else (ok ? io.stdout : io.stderr).write(`${describeOutcome(result)}\n`);
  return ok ? 0 : 1;
}
