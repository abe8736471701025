/**
 * The BlobStore port on Cloud Storage, through the real `@google-cloud/storage`.
 *
 * The client's own retries are off: every call is retried here, with
 * exponential backoff and full jitter, on 408/429/5xx and connection errors.
 * All operations are idempotent (reads, lists, deletes, and puts — a
 * conditional put is guarded by its precondition, an unconditional one merely
 * rewrites the same bytes). A write whose outcome is unknown (the connection
 * failed, or 408/5xx) and whose retry answers 412 is resolved by reading the
 * object back: if it holds exactly our bytes, our write committed and the put
 * succeeded (GOOGLE-APIS.md, "lost response").
 *
 * Object names are `${prefix}/${key}`; keys are relative and already validated.
 */
import { CRC32C, Storage, type Bucket, type File } from '@google-cloud/storage';
import { fullJitterMs, type BackoffPolicy } from '../backoff.ts';
import { PreconditionFailedError, StoreUnavailableError, type BlobObject, type BlobStore, type ListPage, type PutOptions } from './blob-store.ts';

export interface GcsRetryPolicy {
  /** Total attempts per operation, the first included. Default 10. */
  attempts?: number;
  /** First backoff ceiling in ms; doubles each retry. Default 25. */
  baseMs?: number;
  /** Largest backoff ceiling in ms. Default 2000. */
  maxMs?: number;
  /** For tests: the jitter source (default `Math.random`) and the sleep. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface GcsBlobStoreOptions {
  bucket: string;
  /** Root of this store inside the bucket (`RUNS_PREFIX`); may be empty. */
  prefix: string;
  /** e.g. `http://127.0.0.1:4443` for an emulator; the public endpoint when omitted. */
  apiEndpoint?: string;
  projectId?: string;
  retry?: GcsRetryPolicy;
  /**
   * Deadline per attempt in ms (default 30 000); a late attempt is abandoned and
   * retried like a lost response. Enforced here: the client's own `timeout` is
   * ignored on Node (teeny-request hands it to node-fetch 3, which has no such option).
   */
  timeoutMs?: number;
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** HTTP status of a client error, when the server answered. */
function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.status === 'number') return e.status;
  if (typeof e.response?.status === 'number') return e.response.status;
  return undefined;
}

/** A request that may never have reached the server, or whose answer was lost. */
function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; type?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  if (e.type === 'request-timeout' || e.type === 'system') return true;
  if (typeof e.message === 'string' && /socket hang up|network timeout|other side closed|premature close|aborted/i.test(e.message)) {
    return true;
  }
  return e.cause !== undefined && e.cause !== err && isConnectionError(e.cause);
}

/** A download whose bytes did not match the server's checksums: corrupted in transit, worth another try. */
function isChecksumMismatch(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === 'CONTENT_DOWNLOAD_MISMATCH';
}

type Outcome = 'retry-unknown' | 'retry-refused' | 'fatal';

/** Retry, and whether a write might have committed before the failure. */
function classify(err: unknown): Outcome {
  const status = statusOf(err);
  if (status === 429) return 'retry-refused';
  if (status === 408 || (status !== undefined && status >= 500 && status < 600)) return 'retry-unknown';
  if (status === undefined && (isConnectionError(err) || isChecksumMismatch(err))) return 'retry-unknown';
  return 'fatal';
}

function summarize(err: unknown): string {
  const status = statusOf(err);
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
  return status !== undefined ? `HTTP ${status}: ${message}` : message;
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** Normalises the store's root: no leading, trailing or doubled slashes; '' or 'a/b/'. */
function rootOf(prefix: string): string {
  const p = prefix.replace(/\/{2,}/g, '/').replace(/^\/+|\/+$/g, '');
  return p === '' ? '' : `${p}/`;
}

/** Rejects with a retryable ETIMEDOUT when `p` takes longer than `timeoutMs`; `p` is abandoned, not aborted. */
function withDeadline<T>(p: Promise<T>, timeoutMs: number): Promise<T> {
  if (!(timeoutMs > 0)) return p;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      p.catch(() => undefined);
      reject(Object.assign(new Error(`request timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    p.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Bytes, generation and content type from one media download, so they belong together. */
async function download(file: File): Promise<{ bytes: Buffer; headers: Record<string, unknown> | undefined }> {
  const stream = file.createReadStream();
  let headers: Record<string, unknown> | undefined;
  stream.on('response', (res: { headers?: Record<string, unknown>; setMaxListeners?: (n: number) => unknown }) => {
    headers = res.headers;
    // The response is the body stream itself; node-fetch, teeny-request and the
    // storage client together hang 11 'error' listeners on it when the body
    // spans several chunks, which Node reports as a possible leak. It is not one.
    res.setMaxListeners?.(32);
  });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { bytes: Buffer.concat(chunks), headers };
}

/** What a failure may be turned into before the retry logic sees it; `undefined` leaves it to the retry logic. */
type Settle<T> = (err: unknown, uncertain: boolean) => Promise<T | undefined> | T | undefined;

/** The bucket under one root, with this adapter's retry loop around every call. */
class GcsObjects {
  readonly #bucket: Bucket;
  readonly #root: string;
  readonly #attempts: number;
  readonly #backoff: BackoffPolicy;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #timeoutMs: number;

  constructor(options: GcsBlobStoreOptions) {
    const storage = new Storage({
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
      ...(options.projectId ? { projectId: options.projectId } : {}),
      retryOptions: { autoRetry: false },
    });
    this.#bucket = storage.bucket(options.bucket);
    this.#root = rootOf(options.prefix);
    this.#attempts = Math.max(1, options.retry?.attempts ?? 10);
    this.#backoff = { baseMs: options.retry?.baseMs ?? 25, maxMs: options.retry?.maxMs ?? 2000 };
    this.#random = options.retry?.random ?? Math.random;
    this.#sleep = options.retry?.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  nameOf(key: string): string {
    return this.#root + key;
  }

  /**
   * Runs `fn` until it succeeds, `settle` turns a failure into a result, or the
   * failure is fatal / attempts run out. `settle` sees every failure first and
   * returns `undefined` to let the retry logic decide.
   */
  async retrying<T>(what: string, key: string, fn: () => Promise<T>, settle: Settle<T> = () => undefined): Promise<T> {
    let uncertain = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await withDeadline(fn(), this.#timeoutMs);
      } catch (err) {
        const settled = await settle(err, uncertain);
        if (settled !== undefined) return settled;
        if (err instanceof StoreUnavailableError || err instanceof PreconditionFailedError) throw err;
        const outcome = classify(err);
        if (outcome === 'fatal' || attempt >= this.#attempts) {
          throw new StoreUnavailableError(`gcs ${what} ${this.nameOf(key)} failed after ${attempt} attempt(s): ${summarize(err)}`, { cause: err });
        }
        if (outcome === 'retry-unknown') uncertain = true;
        // Full jitter: anywhere between 0 and the current ceiling.
        await this.#sleep(fullJitterMs(attempt, this.#backoff, this.#random));
      }
    }
  }

  get(key: string): Promise<BlobObject | null> {
    return this.retrying('get', key, () => this.#getOnce(key));
  }

  head(key: string): Promise<string | null> {
    return this.retrying('head', key, async () => {
      try {
        const [meta] = await this.#bucket.file(this.nameOf(key)).getMetadata();
        return String(meta.generation);
      } catch (err) {
        if (statusOf(err) === 404) return null;
        throw err;
      }
    });
  }

  put(key: string, bytes: Buffer | string, opts: PutOptions): Promise<{ generation: string }> {
    const body = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    // The server checks this before committing, so a corrupted upload is refused,
    // never stored. (The client's own check runs after the commit and, on a
    // mismatch, deletes the object with no precondition — possibly someone else's
    // newer generation — so it is turned off.)
    const hasher = new CRC32C();
    hasher.update(body);
    const crc32c = hasher.toString();
    const ifGenerationMatch = opts.ifGenerationMatch;
    const saveOnce = async (): Promise<{ generation: string }> => {
      const file = this.#bucket.file(this.nameOf(key));
      await file.save(body, {
        resumable: false,
        validation: false,
        contentType: opts.contentType ?? 'application/octet-stream',
        metadata: { crc32c },
        ...(ifGenerationMatch !== undefined ? { preconditionOpts: { ifGenerationMatch } } : {}),
      });
      const generation = file.metadata.generation;
      if (generation === undefined || generation === null || generation === '') {
        throw new StoreUnavailableError(`gcs put ${this.nameOf(key)}: the response carried no generation`);
      }
      return { generation: String(generation) };
    };
    return this.retrying('put', key, saveOnce, async (err, uncertain) => {
      if (statusOf(err) !== 412) return undefined;
      if (uncertain) {
        // Our earlier attempt may have committed before its answer was lost.
        const current = await this.get(key);
        if (current && current.bytes.equals(body)) return { generation: current.generation };
      }
      throw new PreconditionFailedError(key);
    });
  }

  delete(key: string, opts: { ifGenerationMatch?: string }): Promise<boolean> {
    const ifGenerationMatch = opts.ifGenerationMatch;
    const deleteOnce = async (): Promise<boolean> => {
      await this.#bucket.file(this.nameOf(key)).delete(ifGenerationMatch !== undefined ? { ifGenerationMatch } : {});
      return true;
    };
    return this.retrying('delete', key, deleteOnce, (err, uncertain) => {
      const status = statusOf(err);
      // After a lost answer, 404 most likely means our own delete went through.
      if (status === 404) return uncertain;
      if (status === 412) throw new PreconditionFailedError(key);
      return undefined;
    });
  }

  async list(prefix: string, startAfter: string | undefined, limit: number): Promise<ListPage> {
    if (limit <= 0) return { keys: [], next: null };
    const fullPrefix = this.nameOf(prefix);
    // startOffset is inclusive (and may sort before the prefix): skip the key itself.
    // Ask for one more than the page to learn whether another page follows.
    const startOffset = startAfter !== undefined ? this.nameOf(startAfter) : undefined;
    const found: string[] = [];
    let pageToken: string | undefined;
    for (;;) {
      const maxResults = Math.min(1000, limit + 1 - found.length + (startAfter !== undefined ? 1 : 0));
      const [files, , response] = await this.retrying('list', prefix, () =>
        this.#bucket.getFiles({
          prefix: fullPrefix,
          maxResults,
          autoPaginate: false,
          ...(startOffset !== undefined ? { startOffset } : {}),
          ...(pageToken !== undefined ? { pageToken } : {}),
        }),
      );
      for (const f of files) {
        const key = f.name.slice(this.#root.length);
        if (key === startAfter) continue;
        found.push(key);
      }
      const token = (response as { nextPageToken?: unknown } | undefined)?.nextPageToken;
      if (found.length > limit || typeof token !== 'string' || token === '') break;
      pageToken = token;
    }
    const keys = found.slice(0, limit);
    return { keys, next: found.length > limit ? (keys[keys.length - 1] ?? null) : null };
  }

  async #getOnce(key: string): Promise<BlobObject | null> {
    const name = this.nameOf(key);
    let res: Awaited<ReturnType<typeof download>>;
    try {
      res = await download(this.#bucket.file(name));
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
    const generation = headerValue(res.headers, 'x-goog-generation');
    if (!generation) throw new StoreUnavailableError(`gcs get ${name}: the download carried no x-goog-generation header`);
    return { bytes: res.bytes, generation, contentType: headerValue(res.headers, 'content-type') ?? 'application/octet-stream' };
  }
}

export function getGcsBlobStore(options: GcsBlobStoreOptions): BlobStore {
  const objects = new GcsObjects(options);
  return {
    backend: 'gcs',
    get: (key) => objects.get(key),
    head: (key) => objects.head(key),
    put: (key, bytes, opts = {}) => objects.put(key, bytes, opts),
    delete: (key, opts = {}) => objects.delete(key, opts),
    list: (prefix, { startAfter, limit }) => objects.list(prefix, startAfter, limit),
  };
}
