/**
 * The real orchestrator for the CLI, demo and verify-cloudrun tests:
 * createApp with a local store in a temp dir and the local launcher running
 * the real job entrypoint with the offline model, on a real port — optionally
 * behind a `front` middleware that breaks it on purpose (verify-cloudrun must
 * notice). Also: spawning the CLI and scripts as processes, and free ports.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { RequestHandler } from 'express';
import { startLocalOrchestrator, type LocalOrchestrator } from './local-orchestrator.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'scripts', 'scenarioforge.ts');
export const VERIFY_SCRIPT = path.join(ROOT, 'scripts', 'verify-cloudrun.ts');
export const DEMO_SCRIPT = path.join(ROOT, 'scripts', 'demo.ts');

export type CliOrchestrator = LocalOrchestrator;

export function startCliOrchestrator(options: { offlineLatencyMs: number; front?: RequestHandler }): Promise<CliOrchestrator> {
  return startLocalOrchestrator({ ...options, version: 'cli-e2e' });
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

export { freePort } from './ports.ts';
