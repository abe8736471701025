/**
 * The orchestrator's composition root (`npm start`): configuration from the
 * environment, validated once (a bad value exits non-zero with one line
 * naming the variable), then the store, launcher and publisher it names,
 * then the HTTP server on PORT.
 */
import type { AddressInfo } from 'node:net';
import { ConfigError, describeConfig, loadConfig, readEnvVar, type Config } from '../shared/config.ts';
import { publisherFromConfig } from '../shared/events-bus/from-config.ts';
import { ensureError, getLogger } from '../shared/logger.ts';
import { ensureLocalApiKey, LOCAL_TENANT } from '../shared/security/api-keys.ts';
import { runStoreFromConfig } from '../shared/store/from-config.ts';
import { createOrchestrator } from './app.ts';
import type { BuildStep } from './context.ts';
import { launchersFromConfig } from './launcher-from-config.ts';

/** Cloud Run sends SIGKILL 10 s after SIGTERM. */
const SHUTDOWN_GRACE_MS = 8_000;

function fail(line: string, code = 2): never {
  process.stderr.write(`scenarioforge: ${line}\n`);
  process.exit(code);
}

const BUILD_STEPS: readonly BuildStep[] = ['claimed', 'indexed', 'logged', 'launched'];

/**
 * `ORCHESTRATOR_FAILPOINT=<step>:<n>` kills this process with SIGKILL the
 * n-th time a build passes that step (claimed, indexed, logged, launched):
 * how the crash tests strand a build between two of its writes.
 */
function failpointFrom(spec: string | null): ((step: BuildStep) => void) | undefined {
  if (spec === null) return undefined;
  const m = /^([a-z]+):(\d+)$/.exec(spec);
  const target = m?.[1] as BuildStep | undefined;
  if (!m || !target || !BUILD_STEPS.includes(target) || Number(m[2]) < 1) {
    fail(`config: ORCHESTRATOR_FAILPOINT: must be <step>:<n> with step one of ${BUILD_STEPS.join(', ')}`);
  }
  let hits = 0;
  return (step) => {
    if (step === target && ++hits === Number(m[2])) process.kill(process.pid, 'SIGKILL');
  };
}

async function main(): Promise<void> {
  let config: Config;
  let failpoint: ((step: BuildStep) => void) | undefined;
  try {
    config = loadConfig(process.env);
    failpoint = failpointFrom(readEnvVar(process.env, 'ORCHESTRATOR_FAILPOINT'));
  } catch (err) {
    if (err instanceof ConfigError) fail(`config: ${err.message}`);
    throw err;
  }
  const logger = getLogger({ name: 'orchestrator', level: config.logLevel });

  if (config.apiKeys.size === 0 && config.store.kind === 'local') {
    // Local mode without API_KEYS: one generated key for tenant `local`, kept beside the runs (never logged).
    const local = await ensureLocalApiKey(config.store.dir);
    config = { ...config, apiKeys: new Map([[local.key, LOCAL_TENANT]]) };
    logger.warn({ file: local.file, tenant: LOCAL_TENANT }, `API_KEYS is not set: the API key of tenant "${LOCAL_TENANT}" is in ${local.file}`);
  }

  const store = await runStoreFromConfig(config);
  const publisher = await publisherFromConfig(config, 'orchestrator');
  const launchers = launchersFromConfig(config, process.env, logger);
  const { app, context } = createOrchestrator({
    config, store, launcher: launchers.launcher, launchWithEnv: launchers.launchWithEnv, publisher, logger,
    ...(failpoint ? { failpoint } : {}),
  });

  const server = app.listen(config.port);
  server.on('error', (err: NodeJS.ErrnoException) => fail(`cannot listen on PORT ${config.port}: ${err.code ?? err.message}`, 1));
  server.on('listening', () => {
    const { port } = server.address() as AddressInfo;
    logger.info({ port, ...describeConfig(config) }, `listening on http://localhost:${port}`);
  });
  // At start-up, then every RECONCILE_INTERVAL_S: what a crash (ours or a job's) left behind is picked up.
  context.reconciler.start();

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    context.reconciler.close();
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    // Live SSE tails are open connections; they end here, clients reconnect elsewhere.
    server.close();
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1_000).unref();
    void Promise.allSettled([launchers.close(), publisher.close()]).then(() => {
      server.closeAllConnections();
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => fail(`start-up failed: ${ensureError(err).message}`, 1));
