/**
 * Throwaway infrastructure for the peers, all on loopback, all under one temp
 * dir each, all stopped and removed by `stop()` (and by `cleanupAll()` on exit).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PEERS_DIR = import.meta.dirname;

const cleanups = new Set<() => Promise<void>>();
/** Every child this bench started, by pid, for a last-resort kill. */
const children = new Set<ChildProcess>();

export async function cleanupAll(): Promise<void> {
  for (const c of [...cleanups].reverse()) await c().catch(() => undefined);
  cleanups.clear();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Proc {
  child: ChildProcess;
  exit: Promise<number | null>;
  /** Resolves when the process printed "ready" on stdout. */
  ready: Promise<void>;
  output: () => string;
}

/** Spawns a child we own; stdout/stderr kept (bounded) for error messages. */
export function start(cmd: string, args: string[], opts: { env: Record<string, string>; cwd?: string; readyLine?: string }): Proc {
  const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd ?? PEERS_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const keep = (b: Buffer) => { out = (out + b.toString('utf8')).slice(-20_000); };
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => { onReady = resolve; });
  let seen = '';
  child.stdout?.on('data', (b: Buffer) => {
    keep(b);
    if (opts.readyLine) {
      seen = (seen + b.toString('utf8')).slice(-1000);
      if (seen.includes(opts.readyLine)) onReady();
    }
  });
  child.stderr?.on('data', keep);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => { children.delete(child); resolve(code ?? (signal ? -1 : null)); }));
  const readyOrExit = Promise.race([ready, exit.then((code) => { throw new Error(`${path.basename(cmd)} ${args.join(' ')} exited ${code} before it was ready:\n${out.slice(-3000)}`); })]);
  readyOrExit.catch(() => undefined);
  return { child, exit, ready: readyOrExit, output: () => out };
}

export async function killAndWait(p: Proc, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  await p.exit;
}

function run(cmd: string, args: string[], opts: { uid?: number; gid?: number; cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, env: opts.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString('utf8'); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString('utf8'); });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out.slice(-3000)}`))));
  });
}

// ---------------------------------------------------------------- PostgreSQL

export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  const pick = versions.includes('15') ? '15' : versions[0];
  return pick ? path.join(root, pick, 'bin') : null;
}

export interface Postgres { url: string; version: string; settings: () => Promise<string>; stop: () => Promise<void> }

/**
 * A PostgreSQL cluster in a temp dir on a free loopback port, durable defaults
 * (fsync on, synchronous_commit on). initdb refuses root, so as root the
 * cluster belongs to a throwaway system user, removed afterwards with the dir.
 */
export async function startPostgres(bin: string): Promise<Postgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sfbench-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const user = `sfbench_pg_${process.pid}`;
  let ids: { uid?: number; gid?: number } = {};
  let stopped = false;
  let started = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    cleanups.delete(stop);
    if (started) await run(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'], { ...ids, cwd: dir }).catch(() => undefined);
    if (asRoot) await run('userdel', [user]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  cleanups.add(stop);
  try {
    if (asRoot) {
      await run('useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', user]);
      ids = { uid: Number(execFileSync('id', ['-u', user]).toString().trim()), gid: Number(execFileSync('id', ['-g', user]).toString().trim()) };
      await chown(dir, ids.uid as number, ids.gid as number);
    }
    await chmod(dir, 0o700);
    // --no-sync only skips syncing initdb's own files; the server runs with fsync on.
    await run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], { ...ids, cwd: dir });
    const port = await freePort();
    await run(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`, 'start'], { ...ids, cwd: dir });
    started = true;
    const version = (await run(path.join(bin, 'postgres'), ['--version'])).trim();
    // fsync / synchronous_commit / wal_sync_method as the server runs, to show the durable defaults held.
    const settings = async () => (await run(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-At', '-F', '=', '-c',
      "SELECT name, setting FROM pg_settings WHERE name IN ('fsync','synchronous_commit','wal_sync_method','full_page_writes') ORDER BY name"]))
      .trim().split('\n').join(', ');
    return { url: `postgresql://postgres@127.0.0.1:${port}/sfbench_dbos`, version, settings, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------- Restate

export function restateBinary(): string {
  return path.join(PEERS_DIR, 'node_modules/@restatedev/restate-server-linux-x64/bin/restate-server');
}

export interface RestateServer { admin: string; ingress: string; version: string; stop: () => Promise<void> }

/** restate-server with --base-dir in a temp dir, every port a free loopback one, telemetry off, defaults otherwise. */
export async function startRestate(): Promise<RestateServer> {
  const bin = restateBinary();
  if (!existsSync(bin)) throw new Error(`no Restate server binary at ${bin} (is @restatedev/restate-server-linux-x64 installed for this platform?)`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sfbench-restate-'));
  const [node, admin, ingress] = [await freePort(), await freePort(), await freePort()];
  const config = path.join(dir, 'restate.toml');
  await writeFile(config, [
    `bind-address = "127.0.0.1:${node}"`,
    `advertised-address = "http://127.0.0.1:${node}/"`,
    'disable-telemetry = true',
    'log-filter = "warn"',
    '[admin]', `bind-address = "127.0.0.1:${admin}"`,
    '[ingress]', `bind-address = "127.0.0.1:${ingress}"`,
    '',
  ].join('\n'));
  const proc = start(bin, ['--config-file', config, '--base-dir', path.join(dir, 'data'), '--node-name', 'sfbench', '--no-logo', '--listen-mode', 'tcp'], {
    env: { PATH: process.env.PATH ?? '', DO_NOT_TRACK: '1', RUST_BACKTRACE: '0' },
    cwd: dir,
  });
  const stop = async () => {
    cleanups.delete(stop);
    await killAndWait(proc, 'SIGTERM');
    await rm(dir, { recursive: true, force: true });
  };
  cleanups.add(stop);
  const adminUrl = `http://127.0.0.1:${admin}`;
  const ingressUrl = `http://127.0.0.1:${ingress}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`restate-server exited ${proc.child.exitCode}:\n${proc.output().slice(-3000)}`);
    const ok = await fetch(`${adminUrl}/health`).then((r) => r.ok, () => false) && await fetch(`${ingressUrl}/restate/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) { await stop(); throw new Error(`restate-server not healthy in 60 s:\n${proc.output().slice(-3000)}`); }
    await sleep(100);
  }
  const version = execFileSync(bin, ['--version']).toString().trim();
  return { admin: adminUrl, ingress: ingressUrl, version, stop };
}

export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(PEERS_DIR, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

// ---------------------------------------------------------------- a quiet machine

function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Share of the whole machine's CPU busy over `ms` (0–1), from /proc/stat. */
export async function machineBusy(ms = 1000): Promise<number> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
}

/**
 * These machines are shared: before each engine, wait (bounded) until nothing
 * else keeps the CPUs busy, so no engine is measured under someone else's load.
 * Returns what was seen, for the report.
 */
export async function waitQuiet(say: (s: string) => void, maxWaitMs = 600_000, threshold = 0.15): Promise<{ busy: number; waitedMs: number; quiet: boolean }> {
  const t0 = Date.now();
  let calm = 0;
  let busy = 1;
  let told = false;
  while (Date.now() - t0 < maxWaitMs) {
    busy = await machineBusy(1000);
    calm = busy < threshold ? calm + 1 : 0;
    if (calm >= 3) return { busy, waitedMs: Date.now() - t0, quiet: true };
    if (!told && Date.now() - t0 > 3000) {
      say(`the machine is busy (${Math.round(busy * 100)}% of its CPUs) with something else; waiting up to ${Math.round(maxWaitMs / 1000)} s for it to calm down…`);
      told = true;
    }
  }
  say(`still busy after ${Math.round(maxWaitMs / 1000)} s (${Math.round(busy * 100)}%); measuring anyway, and the report says so`);
  return { busy, waitedMs: Date.now() - t0, quiet: false };
}

/**
 * Watches, once a second, how much CPU processes that are not this bench's
 * (nor its descendants, nor the throwaway PostgreSQL user's) take: another
 * program's load would make an engine look slower than it is. `stop()` gives
 * the foreign share of the whole machine, average and worst second.
 */
export function watchForeignLoad(): { stop: () => { avg: number; max: number } } {
  const ticks = new Map<number, number>();
  const samples: number[] = [];
  let lastTotal = cpuTimes().total;
  const ourUids = new Set<number>();
  const readProcs = () => {
    const procs: { pid: number; ppid: number; uid: number; t: number }[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const status = readFileSync(`/proc/${name}/status`, 'utf8');
        const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
        procs.push({ pid: Number(name), ppid: Number(rest[1]), uid, t: Number(rest[11]) + Number(rest[12]) });
      } catch {
        // gone meanwhile
      }
    }
    return procs;
  };
  const sample = () => {
    const procs = readProcs();
    const children = new Map<number, number[]>();
    for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
    const ours = new Set<number>([process.pid]);
    const queue = [process.pid];
    while (queue.length) for (const c of children.get(queue.pop() as number) ?? []) if (!ours.has(c)) { ours.add(c); queue.push(c); }
    for (const p of procs) if (ours.has(p.pid) && p.uid !== 0 && p.uid !== process.getuid?.()) ourUids.add(p.uid); // the PostgreSQL user
    let foreign = 0;
    const seen = new Set<number>();
    for (const p of procs) {
      seen.add(p.pid);
      const before = ticks.get(p.pid);
      ticks.set(p.pid, p.t);
      if (ours.has(p.pid) || ourUids.has(p.uid)) continue;
      foreign += before === undefined ? 0 : p.t - before;
    }
    for (const pid of ticks.keys()) if (!seen.has(pid)) ticks.delete(pid);
    const total = cpuTimes().total;
    if (total > lastTotal) samples.push(Math.min(1, foreign / (total - lastTotal)));
    lastTotal = total;
  };
  sample();
  samples.length = 0;
  const timer = setInterval(sample, 1000);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return { avg: samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : 0, max: samples.length ? Math.max(...samples) : 0 };
    },
  };
}
