/**
 * A cross-process mutex that the kernel releases when its holder dies.
 *
 * The lock is a listening socket in Linux's abstract namespace: binding the
 * name succeeds for exactly one process, and the name is freed the instant
 * that process exits, `kill -9` included. Lock files would outlive a crashed
 * holder and need stale-lock breaking, which is racy; this needs none.
 * Within a process, holders queue on a promise chain so they do not poll.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';

const chains = new Map<string, Promise<void>>();

function bind(name: string): Promise<net.Server | null> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(null);
      else reject(err);
    });
    server.listen(name, () => resolve(server));
  });
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function acquireSocket(name: string): Promise<net.Server> {
  let wait = 0.25;
  for (;;) {
    const server = await bind(name);
    if (server) return server;
    await pause(wait * (0.5 + Math.random()));
    wait = Math.min(wait * 2, 8);
  }
}

/** The lock name for a file path: the same path gives the same lock in every process. */
export function lockName(path: string): string {
  return `\0scenarioforge:${createHash('sha256').update(path).digest('hex').slice(0, 40)}`;
}

/** Runs `fn` while holding the lock for `path`, across every process on this machine. */
export async function withProcessLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const name = lockName(path);
  const previous = chains.get(name) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = previous.then(() => mine);
  chains.set(name, tail);
  await previous;
  let server: net.Server | null = null;
  try {
    server = await acquireSocket(name);
    return await fn();
  } finally {
    if (server) await new Promise<void>((r) => server?.close(() => r()));
    release();
    if (chains.get(name) === tail) chains.delete(name);
  }
}
