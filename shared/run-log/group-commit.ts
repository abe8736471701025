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
import { fullJitterMs } from '../backoff.ts';
import { FencedAppendError, type AppendOptions } from '../store/event-log.ts';
import type { RunStore } from '../store/run-store.ts';

export interface GroupCommitterOptions {
  intervalMs?: number;
  /** Called after each durable batch, in order (publish, project). Errors are the listener's own. */
  onCommit?: (events: StoredEvent[], lastSeq: number) => void | Promise<void>;
  /** Called when a batch failed and will be retried. */
  onError?: (err: unknown) => void;
  maxBackoffMs?: number;
  /**
   * Every batch is appended fenced by this execution (see AppendOptions.fence).
   * A fenced batch is never retried: everything queued, and everything queued
   * later, is dropped and its promise rejected with the FencedAppendError,
   * which `onFenced` hears once.
   */
  fence?: AppendOptions['fence'];
  onFenced?: (err: FencedAppendError) => void;
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
  /**
   * Writes nothing more, ever: what is queued is dropped and its promises
   * (and those of anything queued later) reject with `reason`. For a writer
   * that learnt it no longer owns the log (a lost lease). A write already
   * under way cannot be called back.
   */
  halt(reason: Error): void;
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

/** Ceiling of the first retry's backoff; it doubles per consecutive failure (ten doublings at most). */
const RETRY_BASE_MS = 50;

/** The queue and its one write loop; `getGroupCommitter` hands out its public face. */
class CommitQueue {
  readonly stats: GroupCommitStats = { writes: 0, events: 0, failures: 0 };
  readonly #store: RunStore;
  readonly #runId: string;
  readonly #options: GroupCommitterOptions;
  readonly #intervalMs: number;
  readonly #maxBackoffMs: number;
  readonly #queue: Waiter[] = [];
  #lastWriteAt = -Infinity;
  #retryAt = -Infinity;
  /** Flushes in progress: while any, the interval is not waited for. */
  #urgent = 0;
  #wake: (() => void) | null = null;
  #running: Promise<void> | null = null;
  #failures = 0;
  #filled: (() => void) | null = null;
  #nextFill: Promise<void>;
  /** Set once an append was fenced or the writer halted: nothing more is ever written. */
  #closed: Error | null = null;

  constructor(store: RunStore, runId: string, options: GroupCommitterOptions) {
    this.#store = store;
    this.#runId = runId;
    this.#options = options;
    this.#intervalMs = options.intervalMs ?? store.commitIntervalMs;
    this.#maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.#nextFill = new Promise<void>((r) => (this.#filled = r));
  }

  get pending(): number {
    return this.#queue.reduce((n, w) => n + (w.events?.length ?? 0), 0);
  }

  reserve(): Reservation {
    let resolve!: (committed: StoredEvent[]) => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<StoredEvent[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const waiter: Waiter = { events: null, resolve, reject };
    if (this.#closed) reject(this.#closed);
    else this.#queue.push(waiter);
    return {
      fill: (events) => {
        if (waiter.events !== null) throw new Error('a reservation is filled once');
        if (this.#closed) {
          waiter.events = events;
          return done;
        }
        waiter.events = events;
        this.#signalFill();
        // Let the current tick's events join the batch before the first write.
        if (!this.#running) setImmediate(() => void this.#drain());
        return done;
      },
    };
  }

  async flush(): Promise<void> {
    this.#urgent++;
    try {
      while (this.#queue.length > 0 || this.#running) {
        this.#wake?.();
        if (this.#queue[0]?.events === null && !this.#running) await this.#nextFill;
        else await this.#drain();
      }
    } finally {
      this.#urgent--;
    }
  }

  #signalFill(): void {
    this.#filled?.();
    this.#nextFill = new Promise<void>((r) => (this.#filled = r));
  }

  #writable(): boolean {
    return this.#queue.length > 0 && this.#queue[0]?.events !== null;
  }

  #drain(): Promise<void> {
    if (this.#running) return this.#running;
    if (!this.#writable()) return Promise.resolve();
    const loop = (async () => {
      try {
        while (this.#writable()) {
          const wait = this.#waitMs();
          if (wait > 0) await this.#sleep(wait);
          else await this.#writeBatch();
        }
      } finally {
        this.#running = null;
      }
    })();
    // The loop always awaits before it can finish, so this runs before its `finally`.
    this.#running = loop;
    return loop;
  }

  /** Until the interval since the last write has passed (unless flushing) and any retry backoff is over. */
  #waitMs(): number {
    const now = Date.now();
    return Math.max(this.#urgent > 0 ? 0 : this.#lastWriteAt + this.#intervalMs - now, this.#retryAt - now);
  }

  /** Sleeps `ms`, or less when a flush wakes the loop. */
  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = null;
  }

  async #writeBatch(): Promise<void> {
    const queue = this.#queue;
    const end = queue.findIndex((w) => w.events === null);
    const batch = queue.slice(0, end < 0 ? queue.length : end);
    const events = batch.flatMap((w) => w.events ?? []);
    if (events.length === 0) {
      queue.splice(0, batch.length);
      for (const w of batch) w.resolve([]);
      return;
    }
    this.#lastWriteAt = Date.now();
    try {
      const result = await this.#store.append(this.#runId, events, this.#options.fence ? { fence: this.#options.fence } : {});
      queue.splice(0, batch.length);
      this.#failures = 0;
      this.stats.writes++;
      this.stats.events += result.written;
      let offset = 0;
      for (const w of batch) {
        const n = w.events?.length ?? 0;
        w.resolve(result.committed.slice(offset, offset + n));
        offset += n;
      }
      await this.#options.onCommit?.(result.committed, result.lastSeq);
    } catch (err) {
      if (err instanceof FencedAppendError) {
        this.halt(err);
        return this.#options.onFenced?.(err);
      }
      this.#failures++;
      this.stats.failures++;
      this.#options.onError?.(err);
      const retry = Math.min(this.#failures, 10) + 1;
      this.#retryAt = Date.now() + fullJitterMs(retry, { baseMs: RETRY_BASE_MS, maxMs: this.#maxBackoffMs }, Math.random);
    }
  }
  /** Drops everything queued (it must never be written) and refuses what comes later. */
  halt(reason: Error): void {
    if (this.#closed) return;
    this.#closed = reason;
    for (const w of this.#queue.splice(0)) w.reject(reason);
    this.#signalFill();
    this.#wake?.();
  }
}

export function getGroupCommitter(store: RunStore, runId: string, options: GroupCommitterOptions = {}): GroupCommitter {
  const queue = new CommitQueue(store, runId, options);
  return {
    enqueue(events) {
      if (events.length === 0) return Promise.resolve([]);
      return queue.reserve().fill(events);
    },
    reserve: () => queue.reserve(),
    flush: () => queue.flush(),
    halt: (reason) => queue.halt(reason),
    get pending() {
      return queue.pending;
    },
    stats: queue.stats,
  };
}
