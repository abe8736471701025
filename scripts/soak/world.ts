/**
 * The soak's world: the GCS emulator (412 races, 429, 503 and lost responses
 * on a few percent of requests; optionally the one-write-per-second-per-object
 * limit), the Gemini stub fed with faults, and the orchestrator in this
 * process (`createApp`, RUN_STORE=gcs against the emulator, the local launcher
 * running the real job entrypoint against the emulator and the stub,
 * LLM_PROVIDER=gemini with a fake key). Job output and the orchestrator's log
 * go to files in the work directory, so they can be searched for the key.
 *
 * The orchestrator is made by `startOrchestrator` (app, server, and the
 * reconciler's start-up and interval sweeps when the app has a reconciler),
 * which the restarter calls again on the same store and port.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as orchestratorApp from '../../orchestrator/app.ts';
import type { AppDeps } from '../../orchestrator/app.ts';
import { jobEnvFor } from '../../orchestrator/job-env.ts';
import { jobEntrypoint, jobWorkerEntrypoint } from '../../orchestrator/launcher-from-config.ts';
import type { LauncherLogger } from '../../orchestrator/launchers/job-launcher.ts';
import { getLocalLauncher, type LocalLauncher } from '../../orchestrator/launchers/local-launcher.ts';
import { getLocalWorkerLauncher } from '../../orchestrator/launchers/local-worker-launcher.ts';
import { loadConfig, type Config } from '../../shared/config.ts';
import { getLogger } from '../../shared/logger.ts';
import { getGcsRunStore } from '../../shared/store/gcs-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { startGcsEmulator, type GcsEmulator } from '../../test/support/gcs-emulator.ts';
import { startGeminiStub, type GeminiStub } from '../../test/support/gemini-stub.ts';
import type { JobCounts, OrchestratorHandle } from './actors/actor.ts';
import { getHttpLog, type HttpLog } from './http-log.ts';
import { feedModelFaults, type ModelFaultFeeder } from './model-faults.ts';
import type { SoakSettings } from './options.ts';
import { getRng } from './rng.ts';
import { API_KEY_OF } from './tenants.ts';

export const BUCKET = 'sf-soak';

export interface SoakWorld {
  readonly emulator: GcsEmulator;
  readonly feeder: ModelFaultFeeder;
  readonly launcher: LocalLauncher;
  readonly store: RunStore;
  /** The load's HTTP client to the orchestrator. */
  readonly http: HttpLog;
  readonly jobs: JobCounts;
  /** The orchestrator in this process, which the restarter restarts. */
  readonly orchestrator: OrchestratorHandle & { readonly restarts: number };
  readonly jobLogPath: string;
  readonly orchestratorLogPath: string;
  /** Flushes and closes the orchestrator's log file (before it is searched). */
  endOrchestratorLog(): Promise<void>;
  /** Stops everything it started (the work directory stays). */
  close(): Promise<void>;
}

/** What has been started so far, so a start that fails half-way closes just that. */
interface Parts {
  emulator?: GcsEmulator;
  gemini?: GeminiStub;
  feeder?: ModelFaultFeeder;
  launcher?: LocalLauncher;
  orchestrator?: RunningOrchestrator;
  orchestratorLog?: WriteStream | null;
}

async function closeParts(p: Parts): Promise<void> {
  p.feeder?.stop();
  await p.launcher?.close().catch(() => undefined);
  await p.orchestrator?.stop();
  await p.gemini?.close().catch(() => undefined);
  await p.emulator?.stop().catch(() => undefined);
  await endLog(p);
}

async function endLog(p: Parts): Promise<void> {
  const log = p.orchestratorLog;
  p.orchestratorLog = null;
  if (log) await new Promise<void>((resolve) => log.end(resolve));
}

async function startEmulator(settings: SoakSettings): Promise<GcsEmulator> {
  const emulator = await startGcsEmulator({ seed: settings.seed, writeRateLimit: settings.writeRateLimit });
  const rate = settings.gcsFaultRate;
  // A spurious 412 only makes sense where the client sent a precondition: the log, the lease, run.json, claims.
  emulator.faults.inject({ op: 'upload', name: /(events\.jsonl|lease\.json|run\.json|\/signatures\/)/, action: '412', probability: rate });
  emulator.faults.inject({ op: 'upload', action: '429', probability: rate });
  emulator.faults.inject({ op: 'upload', action: '503', probability: rate });
  emulator.faults.inject({ op: 'upload', action: 'drop-after-commit', probability: rate });
  emulator.faults.inject({ op: ['download', 'metadata', 'list', 'delete'], action: '503', probability: rate / 2 });
  emulator.faults.inject({ op: ['download', 'metadata', 'list', 'delete'], action: '429', probability: rate / 2 });
  emulator.faults.inject({ op: ['download', 'metadata'], action: 'drop-after-commit', probability: rate / 2 });
  return emulator;
}

/** Liveness: quick sweeps and a short grace, so the reconciler brings a stranded run back within the soak. */
const LIVENESS_ENV = { RECONCILE_INTERVAL_S: '2', LAUNCH_GRACE_S: '5', LEASE_TTL_S: '6' };

function orchestratorEnv(settings: SoakSettings, emulatorUrl: string, geminiUrl: string, geminiKey: string): Record<string, string> {
  return {
    ...(settings.liveness ? LIVENESS_ENV : {}),
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? os.tmpdir(),
    RUN_STORE: 'gcs',
    GCS_BUCKET: BUCKET,
    RUNS_PREFIX: 'soak',
    GCS_API_ENDPOINT: emulatorUrl,
    GOOGLE_CLOUD_PROJECT: 'soak',
    API_KEYS: `acme:${API_KEY_OF.acme},globex:${API_KEY_OF.globex}`,
    JOB_LAUNCHER: 'local',
    JOB_MAX_RETRIES: String(settings.jobMaxRetries),
    LLM_PROVIDER: 'gemini',
    GEMINI_API_KEY: geminiKey,
    GEMINI_BASE_URL: geminiUrl,
    GEMINI_TIMEOUT_MS: '2000',
    NODE_RETRY_BASE_MS: '20',
    NODE_MAX_ATTEMPTS: '5',
    NODE_CONCURRENCY: '4',
    RATE_LIMIT_PER_MINUTE: '1000000',
    LOG_LEVEL: 'info',
  };
}

/** A launcher logger that counts attempts and restarts, and forwards to the orchestrator's log. */
function countingLogger(inner: LauncherLogger, counts: JobCounts): LauncherLogger {
  return {
    info(fields, message) {
      if (message === 'job attempt started') counts.attempts++;
      inner.info(fields, message);
    },
    warn(fields, message) {
      if (message === 'job attempt failed; starting it again') counts.restarts++;
      else if (message === 'job attempt failed') counts.gaveUp++;
      inner.warn(fields, message);
    },
    error: (fields, message) => inner.error(fields, message),
  };
}

/** The local launcher, its jobs' stdout and stderr appended to `jobLogPath`. */
async function startLauncher(settings: SoakSettings, config: Config, env: Record<string, string>, workDir: string, jobLogPath: string, logger: LauncherLogger): Promise<LocalLauncher> {
  // A shell that execs Node (same pid, so SIGKILL hits the job) and sends its output to a file we can scan.
  const wrapper = path.join(workDir, 'node-job.sh');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  await writeFile(wrapper, `#!/bin/sh\nexec ${q(process.execPath)} "$@" >>${q(jobLogPath)} 2>&1\n`);
  await chmod(wrapper, 0o755);
  const launcherOptions = {
    entrypoint: jobEntrypoint(),
    env: jobEnvFor(config, env),
    maxRetries: config.launcher.kind === 'local' ? config.launcher.maxRetries : 3,
    stdio: 'stderr' as const,
    execPath: wrapper,
    killGraceMs: 3_000,
    onClose: 'terminate' as const,
    logger,
  };
  return settings.jobMode === 'worker'
    ? getLocalWorkerLauncher({ ...launcherOptions, entrypoint: jobWorkerEntrypoint() })
    : getLocalLauncher(launcherOptions);
}

/** The reconciler's hooks: a sweep at start-up then one every RECONCILE_INTERVAL_S, and their end. */
interface ReconcilerHooks {
  start(): void;
  close(): void;
}

/**
 * The app, and its reconciler when it has one. RECONCILER CALL SITE: with the
 * reconciler on main, `createOrchestrator(deps)` returns `{ app, context }`
 * and `context.reconciler` runs as orchestrator/main.ts runs it; before, the
 * app has none and this is `createApp` (nothing then brings a stranded run
 * back: the `liveness` soak reports it stuck). Once merged, this can be a
 * plain `createOrchestrator(deps)` call.
 */
function makeApp(deps: AppDeps): { app: Express; reconciler: ReconcilerHooks } {
  const made = orchestratorApp.createOrchestrator(deps);
  return { app: made.app, reconciler: made.context.reconciler };
}

interface RunningOrchestrator {
  readonly port: number;
  /** Abrupt: the reconciler's timer stops, every connection is cut, the server closes. */
  stop(): Promise<void>;
}

/** One orchestrator (a fresh app: caches, tails, reconciler) listening on `port` (0: any free one). */
export async function startOrchestrator(deps: AppDeps, port: number): Promise<RunningOrchestrator> {
  const { app, reconciler } = makeApp(deps);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  // Longer than any client's idle reuse, so a reused connection is never closed under a request.
  server.keepAliveTimeout = 65_000;
  reconciler?.start();
  return {
    port: (server.address() as AddressInfo).port,
    async stop() {
      reconciler?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The restarter's handle: stop the running orchestrator, start another on its port, note the downtime. */
function orchestratorHandle(parts: Parts, deps: AppDeps, log: (line: string) => void): SoakWorld['orchestrator'] {
  const downtimes: { start: number; end: number }[] = [];
  let restarting: Promise<void> | null = null;
  const restart = async (): Promise<void> => {
    const running = parts.orchestrator;
    if (!running) return;
    const start = Date.now();
    await running.stop();
    parts.orchestrator = await startOrchestrator(deps, running.port);
    downtimes.push({ start, end: Date.now() });
    log(`soak: orchestrator restarted (down ${Date.now() - start} ms)`);
  };
  return {
    downtimes,
    get restarts() {
      return downtimes.length;
    },
    restart() {
      restarting ??= restart().finally(() => {
        restarting = null;
      });
      return restarting;
    },
  };
}

export async function startWorld(settings: SoakSettings, workDir: string, geminiKey: string): Promise<SoakWorld> {
  const parts: Parts = {};
  const jobLogPath = path.join(workDir, 'jobs.log');
  const orchestratorLogPath = path.join(workDir, 'orchestrator.log');
  try {
    const emulator = (parts.emulator = await startEmulator(settings));
    const gemini = (parts.gemini = await startGeminiStub({ apiKey: geminiKey }));
    const feeder = (parts.feeder = feedModelFaults(gemini, { rate: settings.modelFaultRate, rng: getRng(settings.seed ^ 0x5eed), key: geminiKey, earlyTerminal: [25, 70] }));

    const env = orchestratorEnv(settings, emulator.url, gemini.baseUrl, geminiKey);
    const config = loadConfig(env);
    const orchestratorLog = (parts.orchestratorLog = createWriteStream(orchestratorLogPath));
    const logger = getLogger({ name: 'orchestrator', level: 'info', destination: orchestratorLog });
    const store = getGcsRunStore({ bucket: BUCKET, prefix: 'soak', apiEndpoint: emulator.url, projectId: 'soak' });
    const jobs: JobCounts = { attempts: 0, restarts: 0, gaveUp: 0, kills: 0, permanentKills: 0 };
    const launcher = (parts.launcher = await startLauncher(settings, config, env, workDir, jobLogPath, countingLogger(logger, jobs)));
    const deps: AppDeps = { config, store, launcher, logger };
    parts.orchestrator = await startOrchestrator(deps, 0);

    const base = `http://127.0.0.1:${parts.orchestrator.port}`;
    settings.log(`soak: seed ${settings.seed}, load ${Math.round(settings.durationMs / 1000)} s, orchestrator ${base}, GCS ${emulator.url}, work dir ${workDir}`);
    return {
      emulator, feeder, launcher, store, jobs, jobLogPath, orchestratorLogPath,
      orchestrator: orchestratorHandle(parts, deps, settings.log),
      http: getHttpLog(base, geminiKey),
      endOrchestratorLog: () => endLog(parts),
      close: () => closeParts(parts),
    };
  } catch (err) {
    await closeParts(parts);
    throw err;
  }
}
