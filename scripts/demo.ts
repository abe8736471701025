#!/usr/bin/env node
/**
 * `npm run demo`: the orchestrator on the embedded default (local store under
 * ./storage, local job launcher, the offline model unless GEMINI_API_KEY is
 * set) as a child process, a sample build posted through the real HTTP API,
 * its progress drawn live, then the run's URL and the local development key —
 * and the orchestrator keeps serving until Ctrl-C.
 *
 * `--once` exits after the run ends (0 when it succeeded), for tests and CI.
 * `--force` builds afresh instead of reusing an earlier demo run of the same params.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BuildParams } from '../shared/domain/params.ts';
import { getApiClient, type Health } from './cli/api-client.ts';
import { localApiKey, localKeyFile } from './cli/local-key.ts';
import { describeOutcome, watchRun } from './cli/watch.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DEFAULT_PORT = 8080;
const HEALTH_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;

export const DEMO_PARAMS: BuildParams = {
  company: 'Nordlicht Transmission',
  focalQuestion: 'How will European grid operators fund the 2035 transition?',
  horizonYear: 2035,
  region: 'Europe',
  industry: 'Electricity transmission',
  strategies: [
    'Regulated asset base growth with inflation-linked tariffs',
    'Green bonds and EU infrastructure co-financing',
    'Flexibility markets instead of new lines',
  ],
};

const USAGE = `usage: npm run demo [-- --once] [-- --force]

  --once    exit when the run ends (0 if it succeeded) instead of serving until Ctrl-C
  --force   build a fresh run even if an earlier demo run had the same params
env: PORT (default 8080; a free port is used if it is busy), RUNS_DIR (default ./storage),
     GEMINI_API_KEY (live Gemini instead of the offline model), OFFLINE_MODEL_LATENCY_MS (default 400)
`;

const out = (line = '') => process.stdout.write(`${line}\n`);

/** `wanted` if it can be bound on all interfaces, else a free port the OS picks. */
async function choosePort(wanted: number): Promise<{ port: number; busy: boolean }> {
  const tryListen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(null));
      server.listen(port, () => {
        const address = server.address();
        const bound = typeof address === 'object' && address !== null ? address.port : port;
        server.close(() => resolve(bound));
      });
    });
  const got = await tryListen(wanted);
  if (got !== null) return { port: got, busy: false };
  const free = await tryListen(0);
  if (free === null) throw new Error('no free port to listen on');
  return { port: free, busy: true };
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A path as the user would type it from here: relative inside the working directory, absolute outside. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitForHealth(url: string, child: ChildProcess): Promise<Health> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  const client = getApiClient({ url });
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the orchestrator exited (${child.exitCode ?? child.signalCode}) before it answered /health`);
    try {
      return await client.health();
    } catch {
      if (Date.now() > deadline) throw new Error(`the orchestrator did not answer ${url}/health within ${HEALTH_TIMEOUT_MS / 1000} s`);
      await sleep(100);
    }
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      once: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  const runsDir = path.resolve(process.env.RUNS_DIR?.trim() || path.join(ROOT, 'storage'));
  const wanted = process.env.PORT?.trim() ? Number(process.env.PORT) : DEFAULT_PORT;
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65535) throw new Error(`PORT: "${process.env.PORT}" is not a port`);
  const { port, busy } = await choosePort(wanted);
  if (busy) out(`Port ${wanted} is busy; using port ${port} instead.`);

  // The embedded default, whatever cloud settings this shell may carry.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RUN_STORE: 'local',
    RUNS_DIR: runsDir,
    JOB_LAUNCHER: 'local',
    PORT: String(port),
    OFFLINE_MODEL_LATENCY_MS: process.env.OFFLINE_MODEL_LATENCY_MS?.trim() || '400',
    LOG_LEVEL: process.env.LOG_LEVEL?.trim() || 'info',
  };
  for (const name of ['API_KEYS', 'API_KEYS_FILE', 'PUBSUB_TOPIC', 'GCS_BUCKET', 'CLOUD_RUN_JOB', 'PUBLIC_BASE_URL']) delete env[name];

  mkdirSync(runsDir, { recursive: true });
  const logFile = path.join(runsDir, '.demo-orchestrator.log');
  const logFd = openSync(logFile, 'a');
  // Its own process group: Ctrl-C reaches the demo, which stops the orchestrator once, gracefully.
  const child = spawn(process.execPath, [path.join(ROOT, 'orchestrator', 'main.ts')], { cwd: ROOT, env, stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);

  let stopping = false;
  const childExit = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await childExit;
    clearTimeout(killer);
  };
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      out('\nStopping the orchestrator…');
      void stop(signal).then(() => process.exit(0));
    });
  }
  void childExit.then((code) => {
    if (stopping) return;
    process.stderr.write(`demo: the orchestrator stopped unexpectedly (exit ${code}). Its log (${logFile}):\n${tail(logFile)}\n`);
    process.exit(1);
  });

  const url = `http://localhost:${port}`;
  try {
    return await demo(url, runsDir, logFile, child, values, () => {
      stopping = true;
      return stop('SIGTERM');
    });
  } catch (err) {
    stopping = true;
    await stop('SIGTERM');
    throw err;
  }
}

/** Everything after the orchestrator was started; `shutdown` stops it gracefully. */
async function demo(
  url: string,
  runsDir: string,
  logFile: string,
  child: ChildProcess,
  values: { once: boolean; force: boolean },
  shutdown: () => Promise<void>,
): Promise<number> {
  let health: Health;
  try {
    health = await waitForHealth(url, child);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tail(logFile)}`, { cause: err });
  }
  const key = await localApiKey(process.env, runsDir);
  if (key === null) throw new Error(`no local key in ${localKeyFile(runsDir)}: the orchestrator should have written it`);
  const client = getApiClient({ url, key });

  const model = health.llm_provider === 'offline' ? 'offline (set GEMINI_API_KEY for live Gemini)' : `Gemini (key from ${health.api_key_source})`;
  out('ScenarioForge demo');
  out(`  orchestrator  ${url}`);
  const jobs = health.local_job_mode === 'worker' ? 'jobs in one local job worker' : `jobs as ${health.job_backend} processes`;
  out(`  store         ${shown(runsDir)} (${health.storage_backend}), ${jobs}`);
  out(`  model         ${model}`);
  out(`  question      ${DEMO_PARAMS.company}: ${DEMO_PARAMS.focalQuestion}`);

  const reply = await client.build({ params: DEMO_PARAMS, label: 'Demo: a European grid operator funding the 2035 transition', ...(values.force ? { force: true } : {}) });
  out(`  run           ${reply.runId}${reply.reused ? ' (reused: an earlier demo run had the same params; --force builds a new one)' : ''}`);
  out(`  run page      ${reply.links.ui}`);
  out();

  const result = await watchRun(client, reply.runId, process.stdout);
  const ok = result.end.status === 'succeeded';
  out((ok ? '' : 'The run did not succeed: ') + describeOutcome(result));
  out();
  out(`Run page (public, no key needed):  ${reply.links.ui}`);
  out(`Operator console:                  ${url}/`);
  out();
  out(`Local development key (tenant "local"; generated for this machine, not a production secret; kept in ${shown(localKeyFile(runsDir))}):`);
  out(`  ${key}`);
  out();
  out('Try the CLI in another terminal:');
  out(`  export SCENARIOFORGE_URL=${url}`);
  out(`  export SCENARIOFORGE_API_KEY=$(cat ${shown(localKeyFile(runsDir))})`);
  out('  npm run -s scenarioforge -- runs');
  out(`  npm run -s scenarioforge -- build --company "Acme Rail" --question "How will rail freight decarbonise by 2040?" --horizon 2040 --watch`);
  out();

  if (values.once) {
    await shutdown();
    return ok ? 0 : 1;
  }
  out(`Serving until Ctrl-C (orchestrator log: ${shown(logFile)}).`);
  // The child process keeps this one alive; the signal handlers end it.
  return new Promise<number>(() => undefined);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
