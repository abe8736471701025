/**
 * The real orchestrator for the CLI, demo and verify-cloudrun tests:
 * createApp with a local store in a temp dir and the local launcher running
 * the real job entrypoint with the offline model, on a real port — optionally
 * behind a `front` middleware that breaks it on purpose (verify-cloudrun must
 * notice). Also: spawning the CLI and scripts as processes, and free ports.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express, { type RequestHandler } from 'express';
import { silentLogger } from '../../shared/logger.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { createApp } from '../../orchestrator/app.ts';
import { jobEnvFor } from '../../orchestrator/job-env.ts';
import { jobEntrypoint } from '../../orchestrator/launcher-from-config.ts';
import { getLocalLauncher } from '../../orchestrator/launchers/local-launcher.ts';
import { testConfig } from './orchestrator.ts';
import { tempDir } from './temp-dir.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'scripts', 'scenarioforge.ts');
export const VERIFY_SCRIPT = path.join(ROOT, 'scripts', 'verify-cloudrun.ts');
export const DEMO_SCRIPT = path.join(ROOT, 'scripts', 'demo.ts');

export interface CliOrchestrator {
  url: string;
  dir: string;
  store: RunStore;
  /** Drops every open connection (live SSE streams included), as a flaky network or a restarting instance would. */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startCliOrchestrator(options: { offlineLatencyMs: number; front?: RequestHandler }): Promise<CliOrchestrator> {
  const tmp = await tempDir('sf-cli-');
  const env = {
    LLM_PROVIDER: 'offline',
    OFFLINE_MODEL_LATENCY_MS: String(options.offlineLatencyMs),
    NODE_RETRY_BASE_MS: '20',
    SCENARIOOPS_VERSION: 'cli-e2e',
  };
  const config = testConfig(tmp.dir, env);
  const store = getLocalRunStore(tmp.dir);
  const launcher = getLocalLauncher({
    entrypoint: jobEntrypoint(),
    env: jobEnvFor(config, { ...process.env, ...env }),
    maxRetries: 1,
    stdio: 'ignore',
    killGraceMs: 2_000,
  });
  const app = express();
  if (options.front) app.use(options.front);
  app.use(createApp({ config, store, launcher, logger: silentLogger }));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dir: tmp.dir,
    store,
    dropConnections: () => server.closeAllConnections(),
    close: async () => {
      await launcher.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tmp.cleanup();
    },
  };
}

/**
 * Dedup off, the way a broken deployment could have it: every POST /build
 * reaches the app with `force: true`, so the same params never reuse a run.
 */
export const forceEveryBuild: RequestHandler = (req, _res, next) => {
  if (req.method !== 'POST' || req.path !== '/build') {
    next();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('error', next);
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      // The stream is consumed: the app's JSON parser sees a finished request and keeps this body.
      req.body = { ...body, force: true };
    } catch {
      req.body = undefined;
    }
    next();
  });
};

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script with Node 22 and only the env given (plus PATH and HOME): no developer settings leak in. */
export function runNode(script: string, args: readonly string[], env: Record<string, string>, timeoutMs = 60_000): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const runCli = (args: readonly string[], env: Record<string, string>, timeoutMs?: number) => runNode(CLI, args, env, timeoutMs);

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
