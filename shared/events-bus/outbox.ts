/**
 * The log is the outbox (DESIGN §6). Committed events are handed to
 * `publishCommitted` after they are durable; the outbox publishes them in seq
 * order, one publish at a time per run, and remembers the last seq the backend
 * acknowledged in a publish cursor (`keys.publishCursor(runId)`, JSON `{"seq":N}`).
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
 * A resumed job calls `catchUp()` first, so events committed by a process that
 * died before publishing them go out. With the no-op publisher (fan-out off)
 * the outbox does nothing at all, cursor included.
 */
import type { StoredEvent } from '../domain/events.ts';
import { evolve, initialState, type RunStatus } from '../domain/run-state.ts';
import { PreconditionFailedError } from '../store/blob-store.ts';
import { keys } from '../store/keys.ts';
import type { RunStore } from '../store/run-store.ts';
import { PublishFailedError, type EventPublisher } from './event-publisher.ts';

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

export function parseCursor(bytes: Buffer): number {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null) {
      const seq = (parsed as { seq?: unknown }).seq;
      if (typeof seq === 'number' && Number.isInteger(seq) && seq >= 0) return seq;
    }
  } catch {
    // A cursor that cannot be read counts as none: at worst everything is re-sent.
  }
  return 0;
}

/** Reads the stored publish cursor of a run (0 when there is none). */
export async function readPublishCursor(store: RunStore, runId: string): Promise<number> {
  const obj = await store.blobs.get(keys.publishCursor(runId));
  return obj ? parseCursor(obj.bytes) : 0;
}

function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { err: { name: err.name, message: err.message } };
  return { err: String(err) };
}

export function getOutboxPublisher(options: OutboxOptions): Outbox {
  const { store, publisher, runId, tenant } = options;
  const logger = options.logger ?? silent;
  const cursorKey = keys.publishCursor(runId);
  const cursorIntervalMs = options.cursorIntervalMs ?? store.commitIntervalMs;
  const maxBatch = Math.max(1, options.maxBatch ?? 100);
  const maxPending = Math.max(1, options.maxPending ?? 10_000);
  // Fan-out off: publish nothing and leave the cursor alone, so that turning it on
  // later publishes each run from its first event instead of from the middle.
  const off = publisher.kind === 'none';

  /** Last seq acknowledged by the backend (or read from the stored cursor); -1 until the cursor was read. */
  let published = -1;
  /** Highest seq this outbox knows to be stored in the cursor object. */
  let persisted = 0;
  /** Committed, not yet acknowledged events handed to us, by seq. */
  const pending = new Map<number, Pending>();
  /** Set when events were dropped from `pending`: the next drain reads the log. */
  let backlogDropped = false;

  // One drain at a time: each call chains behind the previous one.
  let chain: Promise<void> = Promise.resolve();
  const serialize = (task: () => Promise<void>): Promise<void> => {
    const next = chain.then(task).catch((err: unknown) => {
      logger.warn({ runId, cursor: Math.max(published, 0), ...errorFields(err) }, 'outbox: publishing failed; will retry from the cursor');
    });
    chain = next;
    return next;
  };

  // ---- the cursor object: monotonic, coalesced, at most one write in flight ----
  let writing: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastWriteAt = Number.NEGATIVE_INFINITY;

  const writeCursor = async (seq: number): Promise<void> => {
    for (let round = 0; round < 10; round++) {
      const current = await store.blobs.get(cursorKey);
      const stored = current ? parseCursor(current.bytes) : 0;
      if (stored >= seq) {
        persisted = Math.max(persisted, stored);
        return;
      }
      try {
        await store.blobs.put(cursorKey, JSON.stringify({ seq }), {
          ifGenerationMatch: current?.generation ?? '0',
          contentType: 'application/json',
        });
        persisted = Math.max(persisted, seq);
        return;
      } catch (err) {
        // Another publisher of this run moved the cursor: re-read, keep the larger one.
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
    }
    throw new Error(`publish cursor of run ${runId} kept changing under us`);
  };

  const startWrite = (): void => {
    if (writing || published <= persisted) return;
    const target = published;
    writing = (async () => {
      let ok = false;
      try {
        await writeCursor(target);
        ok = true;
      } catch (err) {
        logger.warn({ runId, seq: target, ...errorFields(err) }, 'outbox: could not store the publish cursor');
      } finally {
        lastWriteAt = Date.now();
        writing = null;
      }
      // Publishes that landed meanwhile were coalesced into one more write.
      if (ok && published > persisted) requestCursorWrite();
    })();
  };

  function requestCursorWrite(): void {
    if (writing || timer || published <= persisted) return;
    const wait = lastWriteAt + cursorIntervalMs - Date.now();
    if (wait <= 0) {
      startWrite();
      return;
    }
    timer = setTimeout(() => {
      timer = null;
      startWrite();
    }, wait);
    timer.unref();
  }

  // ---- publishing ----
  const ensureCursorLoaded = async (): Promise<void> => {
    if (published >= 0) return;
    const stored = await readPublishCursor(store, runId);
    published = stored;
    persisted = stored;
  };

  const remember = (events: readonly StoredEvent[], status: RunStatus): void => {
    for (const event of events) {
      if (published >= 0 && event.seq <= published) continue;
      pending.set(event.seq, { event, status });
    }
    if (pending.size > maxPending) {
      pending.clear();
      backlogDropped = true;
    }
  };

  /** Everything after `published`, in seq order, reading the log when memory does not cover it. */
  const collect = async (fromLog: boolean, statusOverride: RunStatus | undefined): Promise<Pending[]> => {
    for (const seq of pending.keys()) if (seq <= published) pending.delete(seq);
    const out: Pending[] = [];
    let next = published + 1;
    for (let p = pending.get(next); p; p = pending.get(next)) {
      out.push(p);
      next++;
    }
    const hole = pending.size > out.length; // something beyond a seq we do not hold
    if (!fromLog && !hole && !backlogDropped) return out;

    const snapshot = await store.readLog(runId);
    backlogDropped = false;
    const fromStore: Pending[] = [];
    let state = initialState();
    for (const event of snapshot.events) {
      state = evolve(state, event);
      if (event.seq <= published) continue;
      const held = pending.get(event.seq);
      fromStore.push(held ?? { event, status: statusOverride ?? state.status });
    }
    // Anything handed to us beyond what this read saw (a lagging replica) follows, if contiguous.
    let last = fromStore.at(-1)?.event.seq ?? published;
    for (let p = pending.get(last + 1); p; p = pending.get(last + 1)) {
      fromStore.push(p);
      last++;
    }
    return fromStore;
  };

  const publishInOrder = async (batch: readonly Pending[]): Promise<void> => {
    let i = 0;
    while (i < batch.length) {
      // One call per stretch of equal status (the context carries one), at most maxBatch long.
      const status = (batch[i] as Pending).status;
      let j = i + 1;
      while (j < batch.length && j - i < maxBatch && (batch[j] as Pending).status === status) j++;
      const events = batch.slice(i, j).map((p) => p.event);
      try {
        await publisher.publish({ runId, tenant, runStatus: status }, events);
      } catch (err) {
        const acknowledged = err instanceof PublishFailedError ? Math.min(err.acknowledged, events.length) : 0;
        if (acknowledged > 0) advance((events[acknowledged - 1] as StoredEvent).seq);
        throw err;
      }
      advance((events[events.length - 1] as StoredEvent).seq);
      i = j;
    }
  };

  const advance = (seq: number): void => {
    if (seq <= published) return;
    published = seq;
    for (const key of pending.keys()) if (key <= seq) pending.delete(key);
    requestCursorWrite();
  };

  const drain = async (fromLog: boolean, statusOverride?: RunStatus): Promise<void> => {
    await ensureCursorLoaded();
    const batch = await collect(fromLog, statusOverride);
    if (batch.length === 0) return;
    logger.debug?.({ runId, from: batch[0]?.event.seq, to: batch.at(-1)?.event.seq }, 'outbox: publishing');
    await publishInOrder(batch);
  };

  // A plain drain waiting for its turn is shared: callers piling up behind a slow
  // publish (an outage, a long timeout) add no work, only wait for the same attempt.
  let queuedDrain: Promise<void> | null = null;
  const scheduleDrain = (): Promise<void> => {
    if (queuedDrain) return queuedDrain;
    const next = serialize(async () => {
      queuedDrain = null;
      await drain(false);
    });
    queuedDrain = next;
    return next;
  };

  return {
    publishCommitted(events, runStatus) {
      if (off) return Promise.resolve();
      remember(events, runStatus);
      return scheduleDrain();
    },

    catchUp(runStatus) {
      if (off) return Promise.resolve();
      return serialize(() => drain(true, runStatus));
    },

    cursor() {
      return Math.max(published, 0);
    },

    async flush() {
      if (off) return;
      await scheduleDrain();
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      while (writing) await writing;
      startWrite();
      while (writing) await writing;
    },
  };
}
