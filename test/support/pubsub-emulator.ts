/**
 * Google's Pub/Sub emulator for integration tests (DESIGN §9):
 * `gcloud beta emulators pubsub start --project=P --host-port=127.0.0.1:PORT`.
 *
 * gcloud (Python) starts a Java process. Both are spawned in a process group of
 * their own, so `stop()` ends the group (SIGTERM, then SIGKILL) and then checks
 * that the port is closed. Startup takes a few seconds, so by default one
 * emulator is shared by the whole mocha run (started lazily, stopped when the
 * process exits); `{ shared: false }` gives a private one whose `stop()` really stops it.
 *
 * When gcloud, Java or the emulator component is missing the result is
 * `{ skipped: reason }`; tests then print `SKIPPED: …` and skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './ports.ts';

export interface PubSubEmulator {
  /** `127.0.0.1:PORT`: the value for `PUBSUB_EMULATOR_HOST` or the client's `apiEndpoint`. */
  host: string;
  projectId: string;
  /** How long the emulator took to answer after launch, in ms (the shared one: its first start). */
  startupMs: number;
  /** Recent emulator output (for failure messages). */
  output(): string;
  /** Stops gcloud and its Java process. A no-op on the shared emulator (it stops when the process exits). */
  stop(): Promise<void>;
}

export type EmulatorResult = PubSubEmulator | { skipped: string };

export interface StartOptions {
  /** Default true: reuse one emulator for the whole test process. */
  shared?: boolean;
  projectId?: string;
  /** Give up waiting for the emulator after this long. Default 90 s. */
  startTimeoutMs?: number;
}

export function isSkipped(result: EmulatorResult): result is { skipped: string } {
  return 'skipped' in result;
}

const DEFAULT_PROJECT = 'sf-test';

function onPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Why the emulator cannot run here, or null when it should. */
export function missingPrerequisite(): string | null {
  const gcloud = onPath('gcloud');
  if (!gcloud) return 'gcloud is not on PATH (install the Google Cloud SDK with its pubsub-emulator component)';
  if (!onPath('java')) return 'java is not on PATH (the Pub/Sub emulator is a Java program)';
  // <sdk>/bin/gcloud → <sdk>/platform/pubsub-emulator. When the layout is unusual, let gcloud decide.
  try {
    const sdkRoot = path.dirname(path.dirname(realpathSync(gcloud)));
    if (existsSync(path.join(sdkRoot, 'lib', 'gcloud.py')) && !existsSync(path.join(sdkRoot, 'platform', 'pubsub-emulator'))) {
      return `the pubsub-emulator component is not installed in ${sdkRoot} (gcloud components install pubsub-emulator beta)`;
    }
  } catch {
    // fall through to starting it
  }
  return null;
}

async function answers(host: string, projectId: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}/v1/projects/${projectId}/topics`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Pids of processes whose command line mentions `--port=PORT` and the emulator (a Java child that left the group). */
async function strayEmulatorPids(port: number): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const out: number[] = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').join(' ');
      if (cmd.includes('pubsub-emulator') && cmd.includes(`--port=${port}`)) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Starts a private emulator. */
async function launch(projectId: string, startTimeoutMs: number): Promise<EmulatorResult> {
  const missing = missingPrerequisite();
  if (missing) return { skipped: missing };

  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const started = Date.now();
  let child: ChildProcess;
  try {
    child = spawn('gcloud', ['beta', 'emulators', 'pubsub', 'start', `--project=${projectId}`, `--host-port=${host}`], {
      detached: true, // its own process group: gcloud and the Java process it starts
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
    });
  } catch (err) {
    return { skipped: `could not run gcloud: ${err instanceof Error ? err.message : String(err)}` };
  }
  const pgid = child.pid;
  if (pgid === undefined) {
    return { skipped: 'could not run gcloud' };
  }

  // Keep draining the (chatty) output so the emulator never blocks on a full pipe.
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-16_384);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | string | null = null;
  child.once('exit', (code, signal) => {
    exited = code ?? signal ?? 'unknown';
  });
  child.once('error', (err) => {
    exited = err.message;
  });

  let stopped = false;
  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    killGroup(pgid, 'SIGKILL');
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', stopSync);
    killGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (exited === null || (await portOpen(port)))) await sleep(100);
    killGroup(pgid, 'SIGKILL');
    for (const pid of await strayEmulatorPids(port)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    const closeDeadline = Date.now() + 5000;
    while (Date.now() < closeDeadline && (await portOpen(port))) await sleep(100);
  };
  process.once('exit', stopSync);

  const deadline = started + startTimeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) {
      process.removeListener('exit', stopSync);
      const tail = log.trim().split('\n').slice(-5).join(' | ');
      return { skipped: `the Pub/Sub emulator exited (${String(exited)}) before answering: ${tail}` };
    }
    if (await answers(host, projectId)) {
      // Let the test process exit without waiting for the emulator's pipes or the child.
      child.unref();
      (child.stdout as net.Socket | null)?.unref();
      (child.stderr as net.Socket | null)?.unref();
      return { host, projectId, startupMs: Date.now() - started, output: () => log, stop };
    }
    await sleep(100);
  }
  await stop();
  return { skipped: `the Pub/Sub emulator did not answer on ${host} within ${startTimeoutMs} ms: ${log.trim().split('\n').slice(-5).join(' | ')}` };
}

interface Shared {
  result: EmulatorResult;
  realStop: (() => Promise<void>) | null;
}

let shared: Promise<Shared> | null = null;
let signalsHooked = false;

/** Stops the shared emulator (also done automatically when the process exits). */
export async function stopSharedPubSubEmulator(): Promise<void> {
  const current = shared;
  shared = null;
  if (!current) return;
  await (await current).realStop?.();
}

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  // Ctrl-C during a test run: stop the emulator, then die of the signal as usual.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const handler = (): void => {
      process.removeListener(signal, handler);
      void stopSharedPubSubEmulator().finally(() => process.kill(process.pid, signal));
    };
    process.on(signal, handler);
  }
}

/**
 * An emulator to test against, or why there is none. Shared (default): the
 * first call starts it, later calls get the same one and `stop()` does nothing.
 * The emulator serves any project id; `projectId` only names the one returned.
 */
export async function startPubSubEmulator(options: StartOptions = {}): Promise<EmulatorResult> {
  const projectId = options.projectId ?? DEFAULT_PROJECT;
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  if (options.shared === false) return launch(projectId, startTimeoutMs);
  if (!shared) {
    hookSignals();
    shared = launch(DEFAULT_PROJECT, startTimeoutMs).then((result) => ({
      result,
      realStop: isSkipped(result) ? null : result.stop,
    }));
  }
  const { result } = await shared;
  if (isSkipped(result)) return result;
  return { ...result, projectId, stop: async () => undefined };
}
