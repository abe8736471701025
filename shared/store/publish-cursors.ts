/**
 * The publish cursor of each run (`publish-cursor.json`, JSON `{"seq":N}`):
 * the last seq the fan-out backend acknowledged. The outbox
 * (`shared/run-log/outbox.ts`) owns when it moves; this store only keeps it
 * monotonic when several publishers of one run race.
 */
import { PreconditionFailedError, type BlobStore } from './blob-store.ts';
import { keys } from './keys.ts';

/** The port: a per-run sequence number that only moves forward. */
export interface PublishCursors {
  /** The stored cursor; 0 when there is none or it cannot be read (at worst everything is re-sent). */
  read(runId: string): Promise<number>;
  /**
   * Moves the cursor to `seq` unless it already stands there or beyond; never
   * moves it back, whoever else writes it meanwhile. Resolves with the stored
   * value afterwards (≥ `seq`).
   */
  advance(runId: string, seq: number): Promise<number>;
}

function parseCursor(bytes: Buffer): number {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null) {
      const seq = (parsed as { seq?: unknown }).seq;
      if (typeof seq === 'number' && Number.isInteger(seq) && seq >= 0) return seq;
    }
  } catch {
    // A cursor that cannot be read counts as none.
  }
  return 0;
}

const MAX_ROUNDS = 10;

export function getPublishCursors(blobs: BlobStore): PublishCursors {
  return {
    async read(runId) {
      const obj = await blobs.get(keys.publishCursor(runId));
      return obj ? parseCursor(obj.bytes) : 0;
    },

    async advance(runId, seq) {
      const key = keys.publishCursor(runId);
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const current = await blobs.get(key);
        const stored = current ? parseCursor(current.bytes) : 0;
        if (stored >= seq) return stored;
        try {
          await blobs.put(key, JSON.stringify({ seq }), { ifGenerationMatch: current?.generation ?? '0', contentType: 'application/json' });
          return seq;
        } catch (err) {
          // Another publisher of this run moved the cursor: re-read, keep the larger one.
          if (!(err instanceof PreconditionFailedError)) throw err;
        }
      }
      throw new Error(`publish cursor of run ${runId} kept changing under us`);
    },
  };
}
