/**
 * The object primitives every storage backend provides: GCS semantics
 * (immutable objects with generations, preconditions, ordered prefix listing),
 * which the local disk and in-memory adapters reproduce. Claims, leases, the
 * listing index, projections and artifacts are built on these once, in
 * `run-store.ts`; only the log append differs per backend.
 */

export interface BlobObject {
  bytes: Buffer;
  /** Opaque; changes on every write. GCS: the object generation. */
  generation: string;
  contentType: string;
}

export interface PutOptions {
  /** `'0'`: only if absent. Any other value: only if the object has exactly that generation. */
  ifGenerationMatch?: string;
  contentType?: string;
}

export interface ListPage {
  keys: string[];
  /** Pass as `startAfter` to continue; null on the last page. */
  next: string | null;
}

/** The object-storage port. Keys are relative to the store's root and already validated. */
export interface BlobStore {
  readonly backend: 'memory' | 'local' | 'gcs';
  get(key: string): Promise<BlobObject | null>;
  /** Generation of an object without its bytes; null when absent. */
  head(key: string): Promise<string | null>;
  /** @throws PreconditionFailedError when `ifGenerationMatch` does not hold. */
  put(key: string, bytes: Buffer | string, options?: PutOptions): Promise<{ generation: string }>;
  /** @returns false when absent. @throws PreconditionFailedError when `ifGenerationMatch` does not hold. */
  delete(key: string, options?: { ifGenerationMatch?: string }): Promise<boolean>;
  /** Keys under `prefix` in ascending byte order, strictly after `startAfter`. */
  list(prefix: string, options: { startAfter?: string; limit: number }): Promise<ListPage>;
}

/** Thrown when a write's generation precondition does not hold (GCS: HTTP 412). */
export class PreconditionFailedError extends Error {
  override readonly name = 'PreconditionFailedError';
  constructor(key: string) {
    super(`precondition failed for ${key}`);
  }
}

/** Thrown when the backend cannot be reached or keeps refusing after retries (maps to HTTP 503). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
