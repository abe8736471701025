/**
 * Group commit: a writer enqueues events as fast as it likes; they are written
 * in batches, at most one append per `intervalMs` (GCS takes about one write
 * per second per object). Order is kept, a failed batch stays at the head of
 * the queue and is retried with backoff, and `flush()` writes whatever is
 * buffered at once (SIGTERM). Nothing waits on durability unless it asks to.
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

export interface GroupCommitter {
  /** Queues events; the promise resolves with them once durable (it may be ignored). */
  enqueue(events: readonly PendingEvent[]): Promise<StoredEvent[]>;
  /** Writes everything queued now and resolves when it is durable. */
  flush(): Promise<void>;
  /** Events queued and not yet durable. */
  readonly pending: number;
  readonly stats: GroupCommitStats;
}

interface Waiter {
  events: readonly PendingEvent[];
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
    const batch = queue.slice();
    const events = batch.flatMap((w) => w.events);
    lastWriteAt = Date.now();
    try {
      const result = await store.append(runId, events);
      queue.splice(0, batch.length);
      failures = 0;
      stats.writes++;
      stats.events += result.written;
      let offset = 0;
      for (const w of batch) {
        w.resolve(result.committed.slice(offset, offset + w.events.length));
        offset += w.events.length;
      }
      await options.onCommit?.(result.committed, result.lastSeq);
    } catch (err) {
      failures++;
      stats.failures++;
      options.onError?.(err);
      retryAt = Date.now() + Math.random() * Math.min(maxBackoffMs, 50 * 2 ** Math.min(failures, 10));
    }
  };

  const drain = (): Promise<void> => {
    running ??= (async () => {
      try {
        while (queue.length > 0) {
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
    return running;
  };

  return {
    enqueue(events) {
      return new Promise((resolve, reject) => {
        if (events.length === 0) return resolve([]);
        queue.push({ events, resolve, reject });
        // Let the current tick's events join the batch before the first write.
        if (!running) setImmediate(() => void drain());
      });
    },
    async flush() {
      urgent++;
      try {
        while (queue.length > 0 || running) {
          (wake as (() => void) | null)?.();
          await drain();
        }
      } finally {
        urgent--;
      }
    },
    get pending() {
      return queue.reduce((n, w) => n + w.events.length, 0);
    },
    stats,
  };
}
