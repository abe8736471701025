/** In-memory BlobStore with GCS semantics, for unit tests and the contract suite. */
import { PreconditionFailedError, type BlobObject, type BlobStore } from './blob-store.ts';

export interface MemoryBlobStore extends BlobStore {
  /** Number of successful writes per key (to check group commit). */
  readonly writes: Map<string, number>;
  /** Raw access for tests that inspect or corrupt what is stored. */
  readonly objects: Map<string, BlobObject>;
}

export function getMemoryBlobStore(): MemoryBlobStore {
  const objects = new Map<string, BlobObject>();
  const writes = new Map<string, number>();
  let clock = 0;
  const nextGeneration = () => String(++clock);

  const check = (key: string, ifGenerationMatch: string | undefined): void => {
    if (ifGenerationMatch === undefined) return;
    const current = objects.get(key);
    if (ifGenerationMatch === '0' ? current !== undefined : current?.generation !== ifGenerationMatch) {
      throw new PreconditionFailedError(key);
    }
  };

  return {
    backend: 'memory',
    objects,
    writes,
    async get(key) {
      const o = objects.get(key);
      return o ? { ...o, bytes: Buffer.from(o.bytes) } : null;
    },
    async head(key) {
      return objects.get(key)?.generation ?? null;
    },
    async put(key, bytes, options = {}) {
      check(key, options.ifGenerationMatch);
      const generation = nextGeneration();
      objects.set(key, {
        bytes: Buffer.from(bytes),
        generation,
        contentType: options.contentType ?? 'application/octet-stream',
      });
      writes.set(key, (writes.get(key) ?? 0) + 1);
      return { generation };
    },
    async delete(key, options = {}) {
      if (!objects.has(key)) return false; // GCS answers 404 before it looks at preconditions
      check(key, options.ifGenerationMatch);
      return objects.delete(key);
    },
    async list(prefix, { startAfter, limit }) {
      const all = [...objects.keys()].filter((k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter)).sort();
      const keys = all.slice(0, limit);
      return { keys, next: all.length > limit ? (keys[keys.length - 1] ?? null) : null };
    },
  };
}
