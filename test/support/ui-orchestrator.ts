/**
 * The real orchestrator for the browser tests: createApp with a local store in
 * a temp dir and the local launcher running the real job entrypoint
 * (job-runner/main.ts) with the offline model, on a real port.
 */
import { startLocalOrchestrator, type LocalOrchestrator } from './local-orchestrator.ts';
import { KEYS, waitUntil } from './orchestrator.ts';

export const OPERATOR_KEY = KEYS.acme;
export const OPERATOR_TENANT = 'acme';

export type UiOrchestrator = LocalOrchestrator;

export function startUiOrchestrator(options: { offlineLatencyMs: number }): Promise<UiOrchestrator> {
  return startLocalOrchestrator({ ...options, version: 'ui-e2e', jobLogs: Boolean(process.env.UI_E2E_JOB_LOGS) });
}

interface RunJson {
  status: string;
  lastSeq: number;
  nodes: Record<string, { status: string; attempts: number }>;
}

export async function readRun(url: string, runId: string): Promise<RunJson> {
  const res = await fetch(`${url}/runs/${runId}/run.json`);
  if (!res.ok) throw new Error(`run.json of ${runId}: ${res.status}`);
  return (await res.json()) as RunJson;
}

/** Waits (over HTTP, as any client would) until the run reaches `status`. */
export function waitForRunStatus(url: string, runId: string, status: string, timeoutMs = 60_000): Promise<RunJson> {
  return waitUntil(async () => {
    const run = await readRun(url, runId);
    return run.status === status ? run : null;
  }, `run ${runId} to be ${status}`, timeoutMs, 100);
}
