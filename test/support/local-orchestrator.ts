/**
 * The real orchestrator on the embedded default, for the browser, CLI, demo and
 * verify tests: createApp with a local store in a temp dir and the local
 * launcher running the real job entrypoint with the offline model, on a real
 * port — optionally behind a `front` middleware that breaks it on purpose.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { createOrchestrator } from '../../orchestrator/app.ts';
import { jobEnvFor } from '../../orchestrator/job-env.ts';
import { jobEntrypoint } from '../../orchestrator/launcher-from-config.ts';
import { getLocalLauncher, type LocalLauncher } from '../../orchestrator/launchers/local-launcher.ts';
import { silentLogger } from '../../shared/logger.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { testConfig } from './orchestrator.ts';
import { tempDir } from './temp-dir.ts';

export interface LocalOrchestrator {
  url: string;
  dir: string;
  store: RunStore;
  launcher: LocalLauncher;
  /** Drops every open connection (live SSE streams included), as a flaky network or a restarting instance would. */
  dropConnections(): void;
  close(): Promise<void>;
}

export interface LocalOrchestratorOptions {
  offlineLatencyMs: number;
  /** SCENARIOOPS_VERSION, to tell the suites' runs apart. */
  version: string;
  front?: RequestHandler;
  /** Where the job children's output goes (default: nowhere). */
  jobLogs?: boolean;
  /** Task retries of the local launcher (default 1); 0 leaves a killed job dead, for the reconciler to find. */
  maxRetries?: number;
  /** More orchestrator env (RECONCILE_INTERVAL_S, RUN_MAX_EXECUTIONS, LAUNCH_GRACE_S, …). */
  env?: Record<string, string>;
  /** Run the reconciler's sweeps (at start-up, then every RECONCILE_INTERVAL_S), as `npm start` does. */
  reconcile?: boolean;
}

export async function startLocalOrchestrator(options: LocalOrchestratorOptions): Promise<LocalOrchestrator> {
  const tmp = await tempDir('sf-orch-');
  const env = {
    LLM_PROVIDER: 'offline',
    OFFLINE_MODEL_LATENCY_MS: String(options.offlineLatencyMs),
    NODE_RETRY_BASE_MS: '20',
    SCENARIOOPS_VERSION: options.version,
    ...(options.env ?? {}),
  };
  const config = testConfig(tmp.dir, env);
  const store = getLocalRunStore(tmp.dir);
  const launcher = getLocalLauncher({
    entrypoint: jobEntrypoint(),
    env: jobEnvFor(config, { ...process.env, ...env }),
    maxRetries: options.maxRetries ?? 1,
    stdio: options.jobLogs ? 'stderr' : 'ignore',
    killGraceMs: 2_000,
  });
  const app = express();
  if (options.front) app.use(options.front);
  const orchestrator = createOrchestrator({ config, store, launcher, logger: silentLogger });
  app.use(orchestrator.app);
  if (options.reconcile) orchestrator.context.reconciler.start();
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dir: tmp.dir,
    store,
    launcher,
    dropConnections: () => server.closeAllConnections(),
    close: async () => {
      orchestrator.context.reconciler.close();
      await launcher.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tmp.cleanup();
    },
  };
}
