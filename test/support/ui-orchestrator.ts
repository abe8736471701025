/**
 * The real orchestrator for the browser tests: createApp with a local store in
 * a temp dir and the local launcher running the real job entrypoint
 * (job-runner/main.ts) with the offline model, on a real port.
 */
import { silentLogger } from '../../shared/logger.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { jobEnvFor } from '../../orchestrator/job-env.ts';
import { jobEntrypoint } from '../../orchestrator/launcher-from-config.ts';
import { getLocalLauncher, type LocalLauncher } from '../../orchestrator/launchers/local-launcher.ts';
import { KEYS, listen, testConfig, waitUntil } from './orchestrator.ts';
import { tempDir } from './temp-dir.ts';

export const OPERATOR_KEY = KEYS.acme;
export const OPERATOR_TENANT = 'acme';

export interface UiOrchestrator {
  url: string;
  dir: string;
  store: RunStore;
  launcher: LocalLauncher;
  /** Drops every open connection (live SSE streams included), as a flaky network or a proxy would. */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startUiOrchestrator(options: { offlineLatencyMs: number }): Promise<UiOrchestrator> {
  const tmp = await tempDir('sf-ui-');
  const env = {
    LLM_PROVIDER: 'offline',
    OFFLINE_MODEL_LATENCY_MS: String(options.offlineLatencyMs),
    NODE_RETRY_BASE_MS: '20',
    SCENARIOOPS_VERSION: 'ui-e2e',
  };
  const config = testConfig(tmp.dir, env);
  const store = getLocalRunStore(tmp.dir);
  const launcher = getLocalLauncher({
    entrypoint: jobEntrypoint(),
    env: jobEnvFor(config, { ...process.env, ...env }),
    maxRetries: 1,
    stdio: process.env.UI_E2E_JOB_LOGS ? 'stderr' : 'ignore',
    killGraceMs: 2_000,
  });
  const running = await listen({ config, store, launcher, logger: silentLogger });
  return {
    url: running.url,
    dir: tmp.dir,
    store,
    launcher,
    dropConnections: () => running.server.closeAllConnections(),
    close: async () => {
      await launcher.close();
      await running.close();
      await tmp.cleanup();
    },
  };
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
