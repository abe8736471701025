/**
 * The event-log port, and its rewrite-append implementation over any BlobStore
 * (GCS and in-memory). The log object is rewritten whole under
 * `ifGenerationMatch`; a 412 means another writer got there first, so the log
 * is re-read and the append redone. Events whose `id` is already in the log are
 * skipped, which makes a retried append after a lost response a no-op.
 */
import { isEventOf, parseEventLine, serializeEvent, MalformedEventError, type PendingEvent, type StoredEvent } from '../domain/events.ts';
import { fullJitterMs } from '../backoff.ts';
import { BoundedLru } from '../bounded-lru.ts';
import { PreconditionFailedError, StoreUnavailableError, type BlobStore } from './blob-store.ts';
import { keys } from './keys.ts';

export interface LogSnapshot {
  /** Events with `seq` greater than the requested `afterSeq`, in order. */
  events: StoredEvent[];
  lastSeq: number;
  /** Token for `expectedGeneration`; null when the log does not exist. */
  generation: string | null;
}

export interface LogHead {
  lastSeq: number;
  generation: string;
}

export interface AppendResult {
  /** Each requested event as it stands in the log, with its `seq` (found or written). */
  committed: StoredEvent[];
  /** How many of them this call wrote (the rest were already present). */
  written: number;
  lastSeq: number;
  generation: string;
}

export interface AppendOptions {
  /**
   * Optimistic concurrency. A string: the log must still be at that generation.
   * null: the log must not exist yet. Omitted: append wherever the log is now.
   */
  expectedGeneration?: string | null;
  /**
   * Fencing: write only while `executionId` is the run's current execution —
   * the last one started in the log, and not finished since. Checked against
   * the log as it stands at the moment of the write, under the store's mutual
   * exclusion (local: the append lock; GCS: the generation precondition, so a
   * 412 re-reads and checks again), so an execution that was paused past its
   * lease and declared lost, or taken over, writes nothing more. An append
   * whose events are all present already (a retry after a lost response) is
   * not refused: it writes nothing either way.
   */
  fence?: { executionId: string };
}

/** Thrown when a fenced append finds its execution finished or superseded in the log: nothing was written, and the execution must stop. */
export class FencedAppendError extends Error {
  override readonly name = 'FencedAppendError';
  readonly executionId: string;
  constructor(runId: string, executionId: string, current: CurrentExecution | null) {
    const now = current === null ? 'no execution is running' : current.executionId === executionId ? 'it has finished' : `execution ${current.executionId} started after it`;
    super(`execution ${executionId} may no longer append to run ${runId}: ${now}`);
    this.executionId = executionId;
  }
}

/** Thrown when `expectedGeneration` no longer holds: re-read, re-decide, try again. */
export class GenerationMismatchError extends Error {
  override readonly name = 'GenerationMismatchError';
  constructor(runId: string) {
    super(`the log of run ${runId} changed since it was read`);
  }
}

/** The append-only log of each run. One contract suite covers every implementation. */
export interface EventLog {
  read(runId: string, afterSeq?: number): Promise<LogSnapshot>;
  head(runId: string): Promise<LogHead | null>;
  append(runId: string, events: readonly PendingEvent[], options?: AppendOptions): Promise<AppendResult>;
}

/** The last execution started in a log, and whether it has finished since: what fencing checks. */
export interface CurrentExecution {
  executionId: string;
  open: boolean;
}

/** A parsed log: what every implementation keeps per run. */
export interface ParsedLog {
  events: StoredEvent[];
  ids: Map<string, StoredEvent>;
  lastSeq: number;
  /** Bytes of the complete lines; a torn tail beyond them is not part of the log. */
  validBytes: number;
  /** Kept up to date event by event as the log is parsed, so a fence costs O(new events), not a scan. */
  current: CurrentExecution | null;
}

export function emptyLog(): ParsedLog {
  return { events: [], ids: new Map(), lastSeq: 0, validBytes: 0, current: null };
}

/** Adds one event (already checked to follow) to a parse this caller owns. */
export function addToLog(log: ParsedLog, e: StoredEvent): void {
  log.events.push(e);
  log.ids.set(e.id, e);
  log.lastSeq = e.seq;
  if (isEventOf(e, 'execution.started')) log.current = { executionId: e.data.executionId, open: true };
  else if (isEventOf(e, 'execution.finished') && log.current?.executionId === e.data.executionId) log.current = { executionId: e.data.executionId, open: false };
}

/** Refuses (FencedAppendError) unless `fence`'s execution is the log's current, open execution. */
export function checkFence(runId: string, log: ParsedLog, fence: AppendOptions['fence']): void {
  if (!fence) return;
  const current = log.current;
  if (current?.executionId !== fence.executionId || !current.open) throw new FencedAppendError(runId, fence.executionId, current);
}

/**
 * Parses JSONL. A last line without its newline is a torn write and is not part
 * of the log; a malformed complete line is skipped (it cannot be an event we
 * wrote), and so is a line whose seq does not follow, so the log served is
 * always contiguous.
 */
export function parseLog(text: string, from?: ParsedLog): ParsedLog {
  const out: ParsedLog = from
    ? { events: from.events, ids: from.ids, lastSeq: from.lastSeq, validBytes: from.validBytes, current: from.current }
    : emptyLog();
  let start = 0;
  const base = out.validBytes;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    const line = text.slice(start, nl);
    start = nl + 1;
    if (line.trim() === '') continue;
    let e: StoredEvent;
    try {
      e = parseEventLine(line);
    } catch (err) {
      if (err instanceof MalformedEventError) continue;
      throw err;
    }
    if (e.seq !== out.lastSeq + 1 || out.ids.has(e.id)) continue;
    addToLog(out, e);
  }
  out.validBytes = base + Buffer.byteLength(text.slice(0, start));
  return out;
}

/** Gives the new events their seqs, skipping ids already present. */
export function sequence(log: ParsedLog, events: readonly PendingEvent[]): { fresh: StoredEvent[]; committed: StoredEvent[] } {
  const fresh: StoredEvent[] = [];
  const committed: StoredEvent[] = [];
  const seen = new Map<string, StoredEvent>();
  let seq = log.lastSeq;
  for (const e of events) {
    const existing = log.ids.get(e.id) ?? seen.get(e.id);
    if (existing) {
      committed.push(existing);
      continue;
    }
    const stored = { ...e, seq: ++seq } as StoredEvent;
    seen.set(e.id, stored);
    fresh.push(stored);
    committed.push(stored);
  }
  return { fresh, committed };
}

interface Cached {
  generation: string;
  text: string;
  log: ParsedLog;
}

export interface BlobEventLogOptions {
  /** Cap on re-read/retry rounds for one append under contention. */
  maxRounds?: number;
  /** Runs whose parsed log is kept in memory (LRU). */
  cacheSize?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Enough jitter to break sixteen writers out of lock-step, little enough that an append under contention stays fast. */
const CONTENTION_BACKOFF = { baseMs: 5, maxMs: 200 };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Rewrite-append over a BlobStore: the GCS and in-memory event log. */
export function getBlobEventLog(blobs: BlobStore, options: BlobEventLogOptions = {}): EventLog {
  const maxRounds = options.maxRounds ?? 200;
  const cacheSize = options.cacheSize ?? 256;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const cache = new BoundedLru<string, Cached>({ maxEntries: Math.max(1, cacheSize) });

  const load = async (runId: string): Promise<Cached | null> => {
    const key = keys.events(runId);
    const known = cache.get(runId);
    if (known) {
      const generation = await blobs.head(key);
      if (generation === known.generation) return known;
    }
    const obj = await blobs.get(key);
    if (!obj) {
      cache.delete(runId);
      return null;
    }
    const text = obj.bytes.toString('utf8');
    // The log only grows: parse just the tail when the cached text is a prefix.
    const log =
      known && text.startsWith(known.text)
        ? parseLog(text.slice(known.log.validBytes), cloneLog(known.log))
        : parseLog(text);
    const entry = { generation: obj.generation, text, log };
    cache.set(runId, entry);
    return entry;
  };

  return {
    async read(runId, afterSeq = 0) {
      const entry = await load(runId);
      if (!entry) return { events: [], lastSeq: 0, generation: null };
      const events = afterSeq <= 0 ? entry.log.events.slice() : entry.log.events.slice(afterSeq);
      return { events, lastSeq: entry.log.lastSeq, generation: entry.generation };
    },

    async head(runId) {
      const entry = await load(runId);
      return entry ? { lastSeq: entry.log.lastSeq, generation: entry.generation } : null;
    },

    async append(runId, events, opts = {}) {
      const key = keys.events(runId);
      let optimistic = cache.get(runId) ?? null;
      for (let round = 0; round < maxRounds; round++) {
        const entry = optimistic ?? (await load(runId));
        optimistic = null;
        const generation = entry?.generation ?? null;
        if (opts.expectedGeneration !== undefined && opts.expectedGeneration !== generation) {
          // A stale cache is not a mismatch: confirm against the store before refusing.
          if (round === 0 && entry === cache.get(runId)) {
            const fresh = await load(runId);
            if ((fresh?.generation ?? null) !== opts.expectedGeneration) throw new GenerationMismatchError(runId);
            optimistic = fresh;
            continue;
          }
          throw new GenerationMismatchError(runId);
        }
        const log = entry?.log ?? emptyLog();
        const { fresh, committed } = sequence(log, events);
        if (fresh.length === 0) {
          return { committed, written: 0, lastSeq: log.lastSeq, generation: generation ?? '0' };
        }
        // Checked on the log this write is conditional on: a 412 re-reads and checks again.
        checkFence(runId, log, opts.fence);
        const base = entry ? entry.text.slice(0, entry.log.validBytes) : '';
        const text = base + fresh.map(serializeEvent).join('');
        try {
          const put = await blobs.put(key, text, {
            ifGenerationMatch: generation ?? '0',
            contentType: 'application/x-ndjson',
          });
          const next = cloneLog(log);
          for (const e of fresh) addToLog(next, e);
          next.validBytes = Buffer.byteLength(text);
          cache.set(runId, { generation: put.generation, text, log: next });
          return { committed, written: fresh.length, lastSeq: next.lastSeq, generation: put.generation };
        } catch (err) {
          if (!(err instanceof PreconditionFailedError)) throw err;
          cache.delete(runId);
          // Contention: someone else appended (or our lost write did). Re-read and redo,
          // with a little jitter so sixteen writers do not stay in lock-step.
          if (round > 0) await sleep(fullJitterMs(round + 1, CONTENTION_BACKOFF, random));
        }
      }
      throw new StoreUnavailableError(`append to run ${runId} did not succeed after ${maxRounds} rounds of contention`);
    },
  };
}

function cloneLog(log: ParsedLog): ParsedLog {
  return { events: log.events.slice(), ids: new Map(log.ids), lastSeq: log.lastSeq, validBytes: log.validBytes, current: log.current };
}
