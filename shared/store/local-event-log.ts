/**
 * The event log on local disk: a real append-only file, shared safely by every
 * process on the machine (the orchestrator and its job children).
 *
 * An append holds the run's process lock, reads only the bytes it has not yet
 * seen, cuts a torn tail left by a crashed writer, writes the new lines in one
 * write and fdatasyncs before it returns. Readers take no lock: a line still
 * being written has no newline yet and is not part of the log. The generation
 * is the last seq, which every append advances.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { serializeEvent, type PendingEvent } from '../domain/events.ts';
import { BoundedLru } from '../bounded-lru.ts';
import { checkFence, emptyLog, GenerationMismatchError, parseLog, sequence, type EventLog, type ParsedLog } from './event-log.ts';
import { keys } from './keys.ts';
import { fsyncDir, type LocalBlobStore } from './local-blob-store.ts';
import { withProcessLock } from './process-lock.ts';

interface Cached {
  ino: bigint;
  /** File size and mtime when last read (complete lines plus any torn tail). */
  size: number;
  mtimeNs: bigint;
  log: ParsedLog;
}

const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

export function getLocalEventLog(blobs: LocalBlobStore, cacheSize = 256): EventLog {
  const cache = new BoundedLru<string, Cached>({ maxEntries: Math.max(1, cacheSize) });

  // Refreshes of one run are serialised in this process: each extends the cached
  // parse in place, so two at once would both append the same new lines.
  const queues = new Map<string, Promise<unknown>>();
  const refresh = (runId: string): Promise<{ log: ParsedLog; size: number } | null> => {
    const previous = queues.get(runId) ?? Promise.resolve();
    const next = previous.then(() => refreshNow(runId), () => refreshNow(runId));
    queues.set(runId, next);
    void next.finally(() => {
      if (queues.get(runId) === next) queues.delete(runId);
    }).catch(() => undefined);
    return next;
  };

  /** Brings the cached parse up to the file's complete lines; null when there is no log. */
  const refreshNow = async (runId: string): Promise<{ log: ParsedLog; size: number } | null> => {
    const file = blobs.resolve(keys.events(runId));
    // The common case — nothing appended since we last looked — costs one stat.
    const known = cache.get(runId);
    if (known) {
      let st;
      try {
        st = await fs.stat(file, { bigint: true });
      } catch (err) {
        if (!isMissing(err)) throw err;
        cache.delete(runId);
        return null;
      }
      if (st.ino === known.ino && Number(st.size) === known.size && st.mtimeNs === known.mtimeNs) return { log: known.log, size: known.size };
    }
    let fh;
    try {
      fh = await fs.open(file, 'r');
    } catch (err) {
      if (isMissing(err)) {
        cache.delete(runId);
        return null;
      }
      throw err;
    }
    try {
      const st = await fh.stat({ bigint: true });
      const size = Number(st.size);
      let entry = cache.get(runId);
      if (!entry || entry.ino !== st.ino || entry.log.validBytes > size) {
        entry = { ino: st.ino, size, mtimeNs: st.mtimeNs, log: emptyLog() };
      }
      if (size > entry.log.validBytes) {
        const length = size - entry.log.validBytes;
        const buf = Buffer.allocUnsafe(length);
        const { bytesRead } = await fh.read(buf, 0, length, entry.log.validBytes);
        entry = { ...entry, log: parseLog(buf.subarray(0, bytesRead).toString('utf8'), entry.log) };
      }
      entry = { ...entry, size, mtimeNs: st.mtimeNs };
      cache.set(runId, entry);
      return { log: entry.log, size };
    } finally {
      await fh.close();
    }
  };

  const generationOf = (log: ParsedLog): string => String(log.lastSeq);

  return {
    async read(runId, afterSeq = 0) {
      const found = await refresh(runId);
      if (!found) return { events: [], lastSeq: 0, generation: null };
      const events = found.log.events.slice(Math.max(0, afterSeq));
      return { events, lastSeq: found.log.lastSeq, generation: generationOf(found.log) };
    },

    async head(runId) {
      const found = await refresh(runId);
      return found ? { lastSeq: found.log.lastSeq, generation: generationOf(found.log) } : null;
    },

    async append(runId, events: readonly PendingEvent[], options = {}) {
      const file = blobs.resolve(keys.events(runId));
      return withProcessLock(file, async () => {
        const found = await refresh(runId);
        const generation = found ? generationOf(found.log) : null;
        if (options.expectedGeneration !== undefined && options.expectedGeneration !== generation) {
          throw new GenerationMismatchError(runId);
        }
        const log: ParsedLog = found?.log ?? emptyLog();
        const { fresh, committed } = sequence(log, events);
        if (fresh.length === 0) return { committed, written: 0, lastSeq: log.lastSeq, generation: generationOf(log) };
        // Under the lock, on the log as it stands: nobody can start or finish an execution meanwhile.
        checkFence(runId, log, options.fence);

        if (!found) await fs.mkdir(path.dirname(file), { recursive: true });
        const fh = await fs.open(file, found ? 'r+' : 'wx');
        try {
          // A crashed writer may have left half a line: cut it before appending.
          if (found && found.size > log.validBytes) await fh.truncate(log.validBytes);
          const bytes = Buffer.from(fresh.map(serializeEvent).join(''), 'utf8');
          await fh.write(bytes, 0, bytes.length, log.validBytes);
          await fh.datasync();
        } finally {
          await fh.close();
        }
        if (!found) await fsyncDir(path.dirname(file));
        // The cache learns our lines the way it learns anyone's: by reading them back.
        const after = await refresh(runId);
        const lastSeq = after?.log.lastSeq ?? 0;
        return { committed, written: fresh.length, lastSeq, generation: String(lastSeq) };
      });
    },
  };
}
