/**
 * Group commit: a writer enqueues events as fast as it likes; they are written
 * in batches, at most one append per `intervalMs` (GCS takes about one write
 * per second per object). Order is kept, a failed batch stays at the head of
 * the queue and is retried with backoff, and `flush()` writes whatever is
 * buffered at once (SIGTERM). Nothing waits on durability unless it asks to.
 *
 * A writer may `reserve()` a place in the order before it knows it may write
 * there (its artifacts are still being persisted): batches stop at the first
 * unfilled place, so nothing decided after it becomes durable before it.
 */
import type { PendingEvent, StoredEvent } from '../domain/events.ts';
import type { RunStore } from './run-store.ts';

export interface GroupCommitterOptions {
  intervalMs?: number;
  /** Called after each durable batch, in order (publish, project). Errors are the listener's own. */
  onCommit?: (events: StoredEvent[], lastSeq: number) => void | Promise<void>;
  /** Called when a batch failed and will be retried. */
  onError?: (err: unknown) => void;
  maxBackoffMs?: number;
}

export interface GroupCommitStats {
  writes: number;
  events: number;
  failures: number;
}

export interface Reservation {
  /** Fills the reserved place (an empty list gives it up); resolves once durable. */
  fill(events: readonly PendingEvent[]): Promise<StoredEvent[]>;
}

export interface GroupCommitter {
  /** Queues events; the promise resolves with them once durable (it may be ignored). */
  enqueue(events: readonly PendingEvent[]): Promise<StoredEvent[]>;
  /** Takes the next place in the log's order, to be filled later. */
  reserve(): Reservation;
  /** Writes everything queued now and resolves when it is durable. */
  flush(): Promise<void>;
  /** Events queued and not yet durable. */
  readonly pending: number;
  readonly stats: GroupCommitStats;
}

interface Waiter {
  /** null while reserved and not yet filled. */
  events: readonly PendingEvent[] | null;
  resolve: (committed: StoredEvent[]) => void;
  reject: (err: unknown) => void;
}

export function getGroupCommitter(store: RunStore, runId: string, options: GroupCommitterOptions = {}): GroupCommitter {
  const intervalMs = options.intervalMs ?? store.commitIntervalMs;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const queue: Waiter[] = [];
  const stats: GroupCommitStats = { writes: 0, events: 0, failures: 0 };
  let lastWriteAt = -Infinity;
  let retryAt = -Infinity;
  let urgent = 0;
  let wake: (() => void) | null = null;
  let running: Promise<void> | null = null;
  let failures = 0;

  const writeBatch = async (): Promise<void> => {
    const end = queue.findIndex((w) => w.events === null);
    const batch = queue.slice(0, end < 0 ? queue.length : end);
    const events = batch.flatMap((w) => w.events ?? []);
    if (events.length === 0) {
      queue.splice(0, batch.length);
      for (const w of batch) w.resolve([]);
      return;
    }
    lastWriteAt = Date.now();
    try {
      const result = await store.append(runId, events);
      queue.splice(0, batch.length);
      failures = 0;
      stats.writes++;
      stats.events += result.written;
      let offset = 0;
      for (const w of batch) {
        const n = w.events?.length ?? 0;
        w.resolve(result.committed.slice(offset, offset + n));
        offset += n;
      }
      await options.onCommit?.(result.committed, result.lastSeq);
    } catch (err) {
      failures++;
      stats.failures++;
      options.onError?.(err);
      retryAt = Date.now() + Math.random() * Math.min(maxBackoffMs, 50 * 2 ** Math.min(failures, 10));
    }
  };

  let filled: (() => void) | null = null;
  let nextFill = new Promise<void>((r) => (filled = r));
  const signalFill = (): void => {
    filled?.();
    nextFill = new Promise<void>((r) => (filled = r));
  };

  const writable = (): boolean => queue.length > 0 && queue[0]?.events !== null;

  const drain = (): Promise<void> => {
    if (running) return running;
    if (!writable()) return Promise.resolve();
    const loop = (async () => {
      try {
        while (writable()) {
          const now = Date.now();
          const wait = Math.max(urgent > 0 ? 0 : lastWriteAt + intervalMs - now, retryAt - now);
          if (wait > 0) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, wait);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = null;
            continue;
          }
          await writeBatch();
        }
      } finally {
        running = null;
      }
    })();
    // The loop always awaits before it can finish, so this runs before its `finally`.
    running = loop;
    return loop;
  };

  const reserve = (): Reservation => {
    let resolve!: (committed: StoredEvent[]) => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<StoredEvent[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const waiter: Waiter = { events: null, resolve, reject };
    queue.push(waiter);
    return {
      fill(events) {
        if (waiter.events !== null) throw new Error('a reservation is filled once');
        waiter.events = events;
        signalFill();
        // Let the current tick's events join the batch before the first write.
        if (!running) setImmediate(() => void drain());
        return done;
      },
    };
  };

  return {
    enqueue(events) {
      if (events.length === 0) return Promise.resolve([]);
      return reserve().fill(events);
    },
    reserve,
    async flush() {
      urgent++;
      try {
        while (queue.length > 0 || running) {
          (wake as (() => void) | null)?.();
          if (queue[0]?.events === null && !running) await nextFill;
          else await drain();
        }
      } finally {
        urgent--;
      }
    },
    get pending() {
      return queue.reduce((n, w) => n + (w.events?.length ?? 0), 0);
    },
    stats,
  };
}
