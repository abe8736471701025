/**
 * The log is the outbox (DESIGN §6). Committed events are handed to
 * `publishCommitted` after they are durable; the outbox publishes them in seq
 * order, one publish at a time per run, and remembers the last seq the backend
 * acknowledged in the run's publish cursor (`RunStore.cursors`).
 *
 * Guarantees, for subscribers deduplicating by `(runId, seq)`:
 * - no gaps: an event is only published once every earlier one was; whatever
 *   the outbox does not hold in memory (a crash, an earlier process, a dropped
 *   backlog) is read back from the log, starting after the cursor;
 * - duplicates are possible (a stale cursor, a lost acknowledgement), never
 *   reordering within one publisher;
 * - the stored cursor is never ahead of what was acknowledged, and never moves back;
 * - nothing here throws at the caller: failures are logged and retried on the
 *   next `publishCommitted`, `catchUp` or `flush`. Publishing never fails a run.
 *
 * This is an application service over two ports, the RunStore (log and
 * cursor) and the EventPublisher; it knows nothing of how either stores or sends.
 *
 * A resumed job calls `catchUp()` first, so events committed by a process that
 * died before publishing them go out. With the no-op publisher (fan-out off)
 * the outbox does nothing at all, cursor included.
 */
import type { StoredEvent } from '../domain/events.ts';
import { evolve, initialState, type RunStatus } from '../domain/run-state.ts';
import { PublishFailedError, type EventPublisher } from '../events-bus/event-publisher.ts';
import type { RunStore } from '../store/run-store.ts';

/** The structured logger the outbox writes to; pino's `Logger` fits. */
export interface OutboxLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  debug?(fields: Record<string, unknown>, message: string): void;
}

export interface OutboxOptions {
  store: RunStore;
  publisher: EventPublisher;
  runId: string;
  tenant: string;
  logger?: OutboxLogger;
  /** Least time between two cursor writes; default the store's commit interval (about 1 s on GCS, 0 elsewhere). */
  cursorIntervalMs?: number;
  /** Most events per publish call; default 100. */
  maxBatch?: number;
  /** Most unpublished events held in memory; beyond it they are dropped and re-read from the log later. Default 10 000. */
  maxPending?: number;
}

export interface Outbox {
  /**
   * Publishes `events` (just committed, any order, duplicates ignored) and
   * everything before them not yet published. `runStatus` is the run's status
   * after these events. Resolves once this attempt ended; never rejects.
   */
  publishCommitted(events: readonly StoredEvent[], runStatus: RunStatus): Promise<void>;
  /**
   * Reads the cursor and publishes every logged event after it. Each event
   * carries the status the run had right after it (folded from the log), or
   * `runStatus` when given. Never rejects.
   */
  catchUp(runStatus?: RunStatus): Promise<void>;
  /** Last seq the backend acknowledged for this run, as far as this outbox knows (0 before anything is known). */
  cursor(): number;
  /** Retries what is outstanding, then writes the cursor now (e.g. on SIGTERM). Never rejects. */
  flush(): Promise<void>;
}

interface Pending {
  event: StoredEvent;
  status: RunStatus;
}

const silent: OutboxLogger = { warn: () => undefined };

/** Reads the stored publish cursor of a run (0 when there is none). */
export function readPublishCursor(store: RunStore, runId: string): Promise<number> {
  return store.cursors.read(runId);
}

function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { err: { name: err.name, message: err.message } };
  return { err: String(err) };
}

/**
 * The stored cursor: monotonic, coalesced, at most one write in flight, at
 * most one write per `intervalMs` unless flushed. It follows `target()` (the
 * last acknowledged seq) and never runs ahead of it.
 */
class CursorWriter {
  /** Highest seq known to be stored in the cursor object. */
  persisted = 0;
  #writing: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  readonly #store: RunStore;
  readonly #runId: string;
  readonly #intervalMs: number;
  readonly #logger: OutboxLogger;
  readonly #target: () => number;

  constructor(store: RunStore, runId: string, intervalMs: number, logger: OutboxLogger, target: () => number) {
    this.#store = store;
    this.#runId = runId;
    this.#intervalMs = intervalMs;
    this.#logger = logger;
    this.#target = target;
  }

  /** Writes soon: now if the interval has passed, else when it has. */
  request(): void {
    if (this.#writing || this.#timer || this.#target() <= this.persisted) return;
    const wait = this.#lastWriteAt + this.#intervalMs - Date.now();
    if (wait <= 0) {
      this.#start();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#start();
    }, wait);
    this.#timer.unref();
  }

  /** Writes now, without waiting for the interval, and resolves when no write is in flight. */
  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    while (this.#writing) await this.#writing;
    this.#start();
    while (this.#writing) await this.#writing;
  }

  #start(): void {
    if (this.#writing || this.#target() <= this.persisted) return;
    const target = this.#target();
    this.#writing = (async () => {
      let ok = false;
      try {
        this.persisted = Math.max(this.persisted, await this.#store.cursors.advance(this.#runId, target));
        ok = true;
      } catch (err) {
        this.#logger.warn({ runId: this.#runId, seq: target, ...errorFields(err) }, 'outbox: could not store the publish cursor');
      } finally {
        this.#lastWriteAt = Date.now();
        this.#writing = null;
      }
      // Publishes that landed meanwhile were coalesced into one more write.
      if (ok && this.#target() > this.persisted) this.request();
    })();
  }
}

/** One run's outbox: what is pending, what was acknowledged, and one drain at a time. */
class RunOutbox {
  /** Last seq acknowledged by the backend (or read from the stored cursor); -1 until the cursor was read. */
  published = -1;
  readonly #store: RunStore;
  readonly #publisher: EventPublisher;
  readonly #runId: string;
  readonly #tenant: string;
  readonly #logger: OutboxLogger;
  readonly #maxBatch: number;
  readonly #maxPending: number;
  readonly #cursor: CursorWriter;
  /** Committed, not yet acknowledged events handed to us, by seq. */
  readonly #pending = new Map<number, Pending>();
  /** Set when events were dropped from `pending`: the next drain reads the log. */
  #backlogDropped = false;
  #chain: Promise<void> = Promise.resolve();
  #queuedDrain: Promise<void> | null = null;

  constructor(options: OutboxOptions) {
    this.#store = options.store;
    this.#publisher = options.publisher;
    this.#runId = options.runId;
    this.#tenant = options.tenant;
    this.#logger = options.logger ?? silent;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 100);
    this.#maxPending = Math.max(1, options.maxPending ?? 10_000);
    const intervalMs = options.cursorIntervalMs ?? options.store.commitIntervalMs;
    this.#cursor = new CursorWriter(this.#store, this.#runId, intervalMs, this.#logger, () => this.published);
  }

  remember(events: readonly StoredEvent[], status: RunStatus): void {
    for (const event of events) {
      if (this.published >= 0 && event.seq <= this.published) continue;
      this.#pending.set(event.seq, { event, status });
    }
    if (this.#pending.size > this.#maxPending) {
      this.#pending.clear();
      this.#backlogDropped = true;
    }
  }

  /**
   * A plain drain waiting for its turn is shared: callers piling up behind a slow
   * publish (an outage, a long timeout) add no work, only wait for the same attempt.
   */
  scheduleDrain(): Promise<void> {
    if (this.#queuedDrain) return this.#queuedDrain;
    const next = this.serialize(async () => {
      this.#queuedDrain = null;
      await this.drain(false);
    });
    this.#queuedDrain = next;
    return next;
  }

  /** One drain at a time: each call chains behind the previous one; failures are logged, never thrown. */
  serialize(task: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(task).catch((err: unknown) => {
      const fields = { runId: this.#runId, cursor: Math.max(this.published, 0), ...errorFields(err) };
      this.#logger.warn(fields, 'outbox: publishing failed; will retry from the cursor');
    });
    this.#chain = next;
    return next;
  }

  async drain(fromLog: boolean, statusOverride?: RunStatus): Promise<void> {
    await this.#ensureCursorLoaded();
    const batch = await this.#collect(fromLog, statusOverride);
    if (batch.length === 0) return;
    this.#logger.debug?.({ runId: this.#runId, from: batch[0]?.event.seq, to: batch.at(-1)?.event.seq }, 'outbox: publishing');
    await this.#publishInOrder(batch);
  }

  flushCursor(): Promise<void> {
    return this.#cursor.flush();
  }

  async #ensureCursorLoaded(): Promise<void> {
    if (this.published >= 0) return;
    const stored = await this.#store.cursors.read(this.#runId);
    this.published = stored;
    this.#cursor.persisted = stored;
  }

  /** Everything after `published`, in seq order, reading the log when memory does not cover it. */
  async #collect(fromLog: boolean, statusOverride: RunStatus | undefined): Promise<Pending[]> {
    const pending = this.#pending;
    for (const seq of pending.keys()) if (seq <= this.published) pending.delete(seq);
    const out: Pending[] = [];
    let next = this.published + 1;
    for (let p = pending.get(next); p; p = pending.get(next)) {
      out.push(p);
      next++;
    }
    const hole = pending.size > out.length; // something beyond a seq we do not hold
    if (!fromLog && !hole && !this.#backlogDropped) return out;
    return this.#collectFromLog(statusOverride);
  }

  async #collectFromLog(statusOverride: RunStatus | undefined): Promise<Pending[]> {
    const pending = this.#pending;
    const snapshot = await this.#store.readLog(this.#runId);
    this.#backlogDropped = false;
    const fromStore: Pending[] = [];
    let state = initialState();
    for (const event of snapshot.events) {
      state = evolve(state, event);
      if (event.seq <= this.published) continue;
      const held = pending.get(event.seq);
      fromStore.push(held ?? { event, status: statusOverride ?? state.status });
    }
    // Anything handed to us beyond what this read saw (a lagging replica) follows, if contiguous.
    let last = fromStore.at(-1)?.event.seq ?? this.published;
    for (let p = pending.get(last + 1); p; p = pending.get(last + 1)) {
      fromStore.push(p);
      last++;
    }
    return fromStore;
  }

  async #publishInOrder(batch: readonly Pending[]): Promise<void> {
    let i = 0;
    while (i < batch.length) {
      // One call per stretch of equal status (the context carries one), at most maxBatch long.
      const status = (batch[i] as Pending).status;
      let j = i + 1;
      while (j < batch.length && j - i < this.#maxBatch && (batch[j] as Pending).status === status) j++;
      const events = batch.slice(i, j).map((p) => p.event);
      try {
        await this.#publisher.publish({ runId: this.#runId, tenant: this.#tenant, runStatus: status }, events);
      } catch (err) {
        const acknowledged = err instanceof PublishFailedError ? Math.min(err.acknowledged, events.length) : 0;
        if (acknowledged > 0) this.#advance((events[acknowledged - 1] as StoredEvent).seq);
        throw err;
      }
      this.#advance((events[events.length - 1] as StoredEvent).seq);
      i = j;
    }
  }

  #advance(seq: number): void {
    if (seq <= this.published) return;
    this.published = seq;
    for (const key of this.#pending.keys()) if (key <= seq) this.#pending.delete(key);
    this.#cursor.request();
  }
}

export function getOutboxPublisher(options: OutboxOptions): Outbox {
  // Fan-out off: publish nothing and leave the cursor alone, so that turning it on
  // later publishes each run from its first event instead of from the middle.
  const off = options.publisher.kind === 'none';
  const outbox = new RunOutbox(options);

  return {
    publishCommitted(events, runStatus) {
      if (off) return Promise.resolve();
      outbox.remember(events, runStatus);
      return outbox.scheduleDrain();
    },

    catchUp(runStatus) {
      if (off) return Promise.resolve();
      return outbox.serialize(() => outbox.drain(true, runStatus));
    },

    cursor() {
      return Math.max(outbox.published, 0);
    },

    async flush() {
      if (off) return;
      await outbox.scheduleDrain();
      await outbox.flushCursor();
    },
  };
}
