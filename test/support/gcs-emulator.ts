/**
 * A Cloud Storage JSON-API emulator for integration tests: a plain `node:http`
 * server that the real `@google-cloud/storage` client talks to through
 * `new Storage({ apiEndpoint: emulator.url, projectId: 'test' })`.
 *
 * It keeps objects in memory (one Map per bucket; buckets exist as soon as they
 * are named) and reproduces what the adapters depend on: generations (unique,
 * monotonic), `ifGenerationMatch` / `ifGenerationNotMatch` /
 * `ifMetagenerationMatch` / `ifMetagenerationNotMatch` preconditions on
 * uploads, reads and deletes (412 `conditionNotMet`), real `md5Hash` and
 * `crc32c` values (the client deletes an upload whose checksums do not match),
 * multipart / media / resumable uploads, media downloads with `x-goog-hash`,
 * and ordered listing with `prefix`, `delimiter`, `maxResults`, `pageToken`,
 * `startOffset` and `endOffset`.
 *
 * For failure testing it injects scripted faults (412 races, 429, 503,
 * latency, and a response lost after the write committed), can enforce GCS's
 * per-object mutation rate limit, and counts what happened.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// ---------------------------------------------------------------------------
// Public types

/** What a request does, as faults and statistics see it. */
export type GcsOperation = 'upload' | 'download' | 'metadata' | 'delete' | 'list';

/** The operations, for iterating over statistics. */
export const GCS_OPERATIONS: readonly GcsOperation[] = ['upload', 'download', 'metadata', 'delete', 'list'];

/**
 * What an injected fault does:
 * - `'412'`: answer 412 `conditionNotMet` without doing anything (a spurious race);
 * - `'429'`: answer 429 `rateLimitExceeded` without doing anything;
 * - `'503'`: answer 503 `backendError` without doing anything;
 * - `'delay'`: wait `delayMs`, then go on (later rules may still fire);
 * - `'drop-after-commit'`: perform the operation (the write commits), then
 *   destroy the socket without answering, so the client sees a reset.
 */
export type FaultKind = '412' | '429' | '503' | 'delay' | 'drop-after-commit';

/** The fault kinds, for iterating over statistics. */
export const FAULT_KINDS: readonly FaultKind[] = ['412', '429', '503', 'delay', 'drop-after-commit'];

/** One scripted fault. Rules are tried in the order they were injected. */
export interface FaultRule {
  /** Operations the rule applies to; every operation when omitted. */
  op?: GcsOperation | readonly GcsOperation[];
  /**
   * Object name (exact match) or pattern the rule applies to; any name when
   * omitted. For `list` the listing's `prefix` is matched.
   */
  name?: string | RegExp;
  /** Bucket the rule applies to; any bucket when omitted. A resumable upload is matched at its final PUT. */
  bucket?: string;
  action: FaultKind;
  /** For `delay`: how long to hold the request, in ms. Default 100. */
  delayMs?: number;
  /** Inject at most this many times, then retire the rule. Unlimited when omitted. */
  times?: number;
  /** Chance (0..1) that a matching request is hit; drawn from the emulator's seeded RNG. Default 1. */
  probability?: number;
}

/** A handle on an injected rule. */
export interface FaultHandle {
  readonly rule: Readonly<FaultRule>;
  /** How many times the rule has fired so far. */
  readonly injected: number;
  /** How many more times it may fire (`Infinity` when unlimited). */
  readonly remaining: number;
  /** Retires the rule. */
  remove(): void;
}

/** Scriptable fault injection. */
export interface GcsFaults {
  /** Adds a rule and returns a handle on it. */
  inject(rule: FaultRule): FaultHandle;
  /** Removes every rule. */
  clear(): void;
  /** Re-seeds the RNG that decides probabilistic rules (and nothing else). */
  seed(seed: number): void;
  /** Rules still active, in matching order. */
  readonly active: readonly FaultHandle[];
}

/** What the emulator has seen since start or the last `reset()`. */
export interface GcsEmulatorStats {
  /** Committed uploads per object name (all buckets); includes writes whose response was then dropped. */
  readonly writes: Map<string, number>;
  /** Committed deletes per object name (all buckets). */
  readonly deletes: Map<string, number>;
  /** HTTP requests received per operation, whatever their outcome (a resumable upload counts each of its requests). */
  readonly requests: Record<GcsOperation, number>;
  /** Faults injected per kind. */
  readonly faults: Record<FaultKind, number>;
  /** Entries (items plus prefixes) returned by list requests: what listing cost. */
  listedEntries: number;
  /** Genuine precondition failures (not injected ones). */
  preconditionFailures: number;
  /** Mutations refused by the per-object write-rate limit. */
  rateLimited: number;
}

/** A stored object as the emulator holds it. */
export interface EmulatedObject {
  readonly bucket: string;
  readonly name: string;
  readonly bytes: Buffer;
  readonly generation: string;
  readonly metageneration: string;
  readonly contentType: string;
  readonly md5Hash: string;
  readonly crc32c: string;
  readonly metadata: Readonly<Record<string, string>> | undefined;
  readonly timeCreated: string;
  readonly updated: string;
}

export interface GcsEmulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** Seed for the fault RNG. Default 1. */
  seed?: number;
  /** Latency added to every request, in ms. Default 0. */
  latencyMs?: number;
  /** Initial per-object write-rate limit (see `setWriteRateLimit`). Default none. */
  writeRateLimit?: number | null;
  /** Called with one line per request (method, path, status), for debugging. */
  log?: (line: string) => void;
}

export interface GcsEmulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`: pass it as the client's `apiEndpoint`. */
  readonly url: string;
  readonly port: number;
  readonly faults: GcsFaults;
  readonly stats: GcsEmulatorStats;
  /** Closes the server and destroys every open socket. */
  stop(): Promise<void>;
  /** Forgets all objects, fault rules, statistics, the rate limit and the latency; re-seeds the RNG with the initial seed. */
  reset(): void;
  /**
   * At most `perObjectPerSecond` successful mutations (uploads and deletes) of
   * one object in any one-second window; a faster one gets 429
   * `rateLimitExceeded` and is not applied. `null` lifts the limit.
   */
  setWriteRateLimit(perObjectPerSecond: number | null): void;
  /** Adds `ms` (plus up to `jitterMs`, from the seeded RNG) to every request. */
  setLatency(ms: number, jitterMs?: number): void;
  /** The stored object, or undefined. */
  getObject(bucket: string, name: string): EmulatedObject | undefined;
  /** Names in a bucket, in listing order. */
  listNames(bucket: string): string[];
  /** Stores an object directly (no faults, limits or statistics), e.g. to seed or corrupt state. */
  putObject(bucket: string, name: string, bytes: Buffer | string, contentType?: string): EmulatedObject;
}

// ---------------------------------------------------------------------------
// Checksums

const CRC32C_TABLE = ((): Int32Array => {
  const t = new Int32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    for (let s = 1; s < 8; s++) {
      const prev = t[(s - 1) * 256 + i]!;
      t[s * 256 + i] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
})();

/** CRC32C (Castagnoli) of `bytes`, slicing-by-8. */
export function crc32c(bytes: Uint8Array): number {
  const t = CRC32C_TABLE;
  let crc = -1;
  let i = 0;
  const n = bytes.length;
  for (; i + 8 <= n; i += 8) {
    const a = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    crc =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < n; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** The `crc32c` field GCS reports: base64 of the big-endian CRC32C. */
export function crc32cBase64(bytes: Uint8Array): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32c(bytes));
  return out.toString('base64');
}

function md5Base64(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('base64');
}

// ---------------------------------------------------------------------------
// Errors in Google's shape

class HttpError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly domain: string;
  constructor(status: number, reason: string, message: string, domain = 'global') {
    super(message);
    this.status = status;
    this.reason = reason;
    this.domain = domain;
  }
}

const PRECONDITION_MESSAGE = 'At least one of the pre-conditions you specified did not hold.';
const RATE_LIMIT_MESSAGE =
  'The object exceeded the rate limit for object mutation operations (create, update, and delete). Please reduce your request rate. See https://cloud.google.com/storage/docs/gcs429.';

function errorBody(err: HttpError): string {
  if (err.status === 412) {
    // Exactly what GCS answers (GOOGLE-APIS.md).
    return JSON.stringify({ error: { code: 412, message: PRECONDITION_MESSAGE, errors: [{ domain: 'global', reason: 'conditionNotMet' }] } });
  }
  return JSON.stringify({
    error: { code: err.status, message: err.message, errors: [{ message: err.message, domain: err.domain, reason: err.reason }] },
  });
}

const preconditionFailed = () => new HttpError(412, 'conditionNotMet', PRECONDITION_MESSAGE);
const rateLimited = () => new HttpError(429, 'rateLimitExceeded', RATE_LIMIT_MESSAGE, 'usageLimits');
const backendError = () => new HttpError(503, 'backendError', 'Backend Error');
const notFound = (bucket: string, name: string) => new HttpError(404, 'notFound', `No such object: ${bucket}/${name}`);
const badRequest = (message: string) => new HttpError(400, 'invalid', message);

// ---------------------------------------------------------------------------
// Helpers

/** mulberry32: small, fast, seedable. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** GCS lists in UTF-8 byte order; JS `<` compares UTF-16 code units, which differs above the BMP. */
function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Splits a `multipart/related` body into its parts (headers lower-cased). */
function parseMultipart(body: Buffer, boundary: string): { headers: Record<string, string>; body: Buffer }[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw badRequest('multipart body has no boundary');
  for (;;) {
    pos += delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break; // closing "--"
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw badRequest('multipart part has no header end');
    const headers: Record<string, string> = {};
    for (const line of body.subarray(pos, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const next = body.indexOf(delimiter, headerEnd + 4);
    if (next < 0) throw badRequest('multipart body is not terminated');
    let end = next;
    if (body[end - 2] === 0x0d && body[end - 1] === 0x0a) end -= 2;
    parts.push({ headers, body: body.subarray(headerEnd + 4, end) });
    pos = next;
  }
  return parts;
}

function boundaryOf(contentType: string | undefined): string {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  const b = m?.[1] ?? m?.[2];
  if (!b) throw badRequest('multipart upload without a boundary');
  return b.trim();
}

interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

function preconditionsOf(q: URLSearchParams): Preconditions {
  const p: Preconditions = {};
  for (const k of ['ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch'] as const) {
    const v = q.get(k);
    if (v !== null) {
      if (!/^\d+$/.test(v)) throw badRequest(`Invalid argument for ${k}: ${v}`);
      p[k] = v;
    }
  }
  return p;
}

function holds(p: Preconditions, current: EmulatedObject | undefined): boolean {
  if (p.ifGenerationMatch !== undefined) {
    if (p.ifGenerationMatch === '0' ? current !== undefined : current?.generation !== p.ifGenerationMatch) return false;
  }
  if (p.ifGenerationNotMatch !== undefined) {
    if (p.ifGenerationNotMatch === '0' ? current === undefined : current?.generation === p.ifGenerationNotMatch) return false;
  }
  if (p.ifMetagenerationMatch !== undefined && current?.metageneration !== p.ifMetagenerationMatch) return false;
  if (p.ifMetagenerationNotMatch !== undefined && current !== undefined && current.metageneration === p.ifMetagenerationNotMatch) {
    return false;
  }
  return true;
}

function objectResource(o: EmulatedObject, baseUrl: string): Record<string, unknown> {
  const path = `${encodeURIComponent(o.bucket)}/o/${encodeURIComponent(o.name)}`;
  return {
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${path}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${path}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: o.generation,
    metageneration: o.metageneration,
    contentType: o.contentType,
    storageClass: 'STANDARD',
    size: String(o.bytes.length),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: Buffer.from(`${o.generation}/${o.metageneration}`).toString('base64'),
    timeCreated: o.timeCreated,
    updated: o.updated,
    timeStorageClassUpdated: o.timeCreated,
    ...(o.metadata ? { metadata: o.metadata } : {}),
  };
}

function bucketResource(name: string, baseUrl: string): Record<string, unknown> {
  return {
    kind: 'storage#bucket',
    id: name,
    selfLink: `${baseUrl}/storage/v1/b/${encodeURIComponent(name)}`,
    projectNumber: '0',
    name,
    timeCreated: '2026-01-01T00:00:00.000Z',
    updated: '2026-01-01T00:00:00.000Z',
    metageneration: '1',
    location: 'US',
    locationType: 'multi-region',
    storageClass: 'STANDARD',
    etag: 'CAE=',
  };
}

interface Route {
  op: GcsOperation | 'bucket' | 'resumable-start' | 'resumable-put';
  bucket: string;
  name?: string;
}

/** Parses the path of a JSON-API request. Object names are percent-encoded in paths. */
function route(method: string, path: string, q: URLSearchParams): Route | null {
  const seg = path.split('/').slice(1);
  const dec = (s: string | undefined) => (s === undefined ? undefined : decodeURIComponent(s));
  // /upload/storage/v1/b/B/o
  if (seg[0] === 'upload' && seg[1] === 'storage' && seg[2] === 'v1' && seg[3] === 'b' && seg[5] === 'o' && seg.length === 6) {
    const bucket = dec(seg[4])!;
    const type = q.get('uploadType');
    if (method === 'POST' && type === 'resumable') return { op: 'resumable-start', bucket };
    if (method === 'PUT' && q.get('upload_id')) return { op: 'resumable-put', bucket };
    if (method === 'POST') return { op: 'upload', bucket };
    return null;
  }
  // /download/storage/v1/b/B/o/NAME
  if (seg[0] === 'download' && seg[1] === 'storage' && seg[2] === 'v1' && seg[3] === 'b' && seg[5] === 'o' && seg.length === 7) {
    return method === 'GET' ? { op: 'download', bucket: dec(seg[4])!, name: dec(seg[6])! } : null;
  }
  if (seg[0] !== 'storage' || seg[1] !== 'v1' || seg[2] !== 'b') return null;
  if (seg.length === 3) return { op: 'bucket', bucket: '' };
  const bucket = dec(seg[3])!;
  if (seg.length === 4) return { op: 'bucket', bucket };
  if (seg[4] !== 'o') return null;
  if (seg.length === 5) return method === 'GET' ? { op: 'list', bucket } : null;
  if (seg.length !== 6) return null;
  const name = dec(seg[5])!;
  if (method === 'GET') return { op: q.get('alt') === 'media' ? 'download' : 'metadata', bucket, name };
  if (method === 'DELETE') return { op: 'delete', bucket, name };
  return null;
}

interface ResumableSession {
  bucket: string;
  name: string;
  contentType: string;
  metadata: Record<string, string> | undefined;
  preconditions: Preconditions;
  chunks: Buffer[];
  received: number;
  done: EmulatedObject | null;
}

interface RuleState {
  rule: FaultRule;
  injected: number;
  remaining: number;
}

// ---------------------------------------------------------------------------
// The emulator

/** Starts an emulator on a free port (or `options.port`). */
export async function startGcsEmulator(options: GcsEmulatorOptions = {}): Promise<GcsEmulator> {
  const host = options.host ?? '127.0.0.1';
  const initialSeed = options.seed ?? 1;
  const log = options.log;

  const buckets = new Map<string, Map<string, EmulatedObject>>();
  const sortedNames = new Map<string, string[]>();
  const recentWrites = new Map<string, number[]>();
  const sessions = new Map<string, ResumableSession>();
  let rules: RuleState[] = [];
  let random = seededRandom(initialSeed);
  let latencyMs = options.latencyMs ?? 0;
  let latencyJitterMs = 0;
  let writeRateLimit: number | null = options.writeRateLimit ?? null;
  let lastGeneration = 0;
  let sessionCounter = 0;
  let baseUrl = '';

  const newStats = (): GcsEmulatorStats => ({
    writes: new Map(),
    deletes: new Map(),
    requests: { upload: 0, download: 0, metadata: 0, delete: 0, list: 0 },
    faults: { '412': 0, '429': 0, '503': 0, delay: 0, 'drop-after-commit': 0 },
    listedEntries: 0,
    preconditionFailures: 0,
    rateLimited: 0,
  });
  const stats = newStats();

  const bucketOf = (name: string): Map<string, EmulatedObject> => {
    let b = buckets.get(name);
    if (!b) {
      b = new Map();
      buckets.set(name, b);
    }
    return b;
  };

  const namesOf = (bucket: string): string[] => {
    let names = sortedNames.get(bucket);
    if (!names) {
      names = [...bucketOf(bucket).keys()].sort(compareNames);
      sortedNames.set(bucket, names);
    }
    return names;
  };

  /** Microsecond-like, strictly increasing, unique across buckets. */
  const nextGeneration = (): string => {
    lastGeneration = Math.max(lastGeneration + 1, Date.now() * 1000);
    return String(lastGeneration);
  };

  const store = (
    bucket: string,
    name: string,
    bytes: Buffer,
    contentType: string,
    metadata: Record<string, string> | undefined,
  ): EmulatedObject => {
    const objects = bucketOf(bucket);
    const previous = objects.get(name);
    const now = new Date().toISOString();
    const obj: EmulatedObject = {
      bucket,
      name,
      bytes: Buffer.from(bytes),
      generation: nextGeneration(),
      metageneration: '1',
      contentType,
      md5Hash: md5Base64(bytes),
      crc32c: crc32cBase64(bytes),
      metadata,
      timeCreated: now,
      updated: now,
    };
    objects.set(name, obj);
    if (!previous) sortedNames.delete(bucket);
    return obj;
  };

  const remove = (bucket: string, name: string): boolean => {
    const removed = bucketOf(bucket).delete(name);
    if (removed) sortedNames.delete(bucket);
    return removed;
  };

  /** Throws 429 when another mutation of this object would exceed the limit; records it otherwise. */
  const admitWrite = (bucket: string, name: string): void => {
    if (writeRateLimit === null) return;
    const key = `${bucket}/${name}`;
    const now = performance.now();
    const times = (recentWrites.get(key) ?? []).filter((t) => now - t < 1000);
    if (times.length >= writeRateLimit) {
      recentWrites.set(key, times);
      stats.rateLimited++;
      throw rateLimited();
    }
    times.push(now);
    recentWrites.set(key, times);
  };

  const count = (map: Map<string, number>, name: string) => map.set(name, (map.get(name) ?? 0) + 1);

  /** Commits an upload after its preconditions and the rate limit; synchronous, so check-and-set is atomic. */
  const commitUpload = (
    bucket: string,
    name: string,
    bytes: Buffer,
    contentType: string,
    metadata: Record<string, string> | undefined,
    pre: Preconditions,
  ): EmulatedObject => {
    if (!holds(pre, bucketOf(bucket).get(name))) {
      stats.preconditionFailures++;
      throw preconditionFailed();
    }
    admitWrite(bucket, name);
    const obj = store(bucket, name, bytes, contentType, metadata);
    count(stats.writes, name);
    return obj;
  };

  // -- faults ---------------------------------------------------------------

  const handleOf = (state: RuleState): FaultHandle => ({
    rule: state.rule,
    get injected() {
      return state.injected;
    },
    get remaining() {
      return state.remaining;
    },
    remove() {
      rules = rules.filter((r) => r !== state);
    },
  });

  const faults: GcsFaults = {
    inject(rule) {
      if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
        throw new RangeError('probability must be within 0..1');
      }
      const state: RuleState = { rule: { ...rule }, injected: 0, remaining: rule.times ?? Infinity };
      rules.push(state);
      return handleOf(state);
    },
    clear() {
      rules = [];
    },
    seed(seed) {
      random = seededRandom(seed);
    },
    get active() {
      return rules.map(handleOf);
    },
  };

  const matches = (rule: FaultRule, op: GcsOperation, bucket: string, name: string): boolean => {
    if (rule.op !== undefined && (typeof rule.op === 'string' ? rule.op !== op : !rule.op.includes(op))) return false;
    if (rule.bucket !== undefined && rule.bucket !== bucket) return false;
    if (rule.name !== undefined) {
      if (typeof rule.name === 'string') {
        if (rule.name !== name) return false;
      } else {
        rule.name.lastIndex = 0;
        if (!rule.name.test(name)) return false;
      }
    }
    return true;
  };

  /**
   * Applies delays and returns the first terminal fault that fires, if any.
   * A rule with a probability draws from the RNG only when it matches.
   */
  const pickFault = async (op: GcsOperation, bucket: string, name: string): Promise<Exclude<FaultKind, 'delay'> | null> => {
    for (const state of rules.slice()) {
      if (state.remaining <= 0 || !matches(state.rule, op, bucket, name)) continue;
      const p = state.rule.probability ?? 1;
      if (p < 1 && random() >= p) continue;
      state.injected++;
      state.remaining--;
      if (state.remaining <= 0) rules = rules.filter((r) => r !== state);
      stats.faults[state.rule.action]++;
      if (state.rule.action === 'delay') {
        await sleep(state.rule.delayMs ?? 100);
        continue;
      }
      return state.rule.action;
    }
    return null;
  };

  // -- request handling -----------------------------------------------------

  interface Reply {
    status: number;
    headers?: Record<string, string>;
    body?: Buffer | string;
  }

  const json = (status: number, value: unknown, headers: Record<string, string> = {}): Reply => ({
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
    body: JSON.stringify(value),
  });

  const objectReply = (o: EmulatedObject) => json(200, objectResource(o, baseUrl));

  const read = (bucket: string, name: string, q: URLSearchParams): EmulatedObject => {
    const obj = bucketOf(bucket).get(name);
    const generation = q.get('generation');
    // No versioning: only the live generation exists.
    if (!obj || (generation !== null && generation !== obj.generation)) throw notFound(bucket, name);
    if (!holds(preconditionsOf(q), obj)) {
      stats.preconditionFailures++;
      throw preconditionFailed();
    }
    return obj;
  };

  const download = (obj: EmulatedObject): Reply => ({
    status: 200,
    headers: {
      'content-type': obj.contentType,
      'content-length': String(obj.bytes.length),
      'x-goog-generation': obj.generation,
      'x-goog-metageneration': obj.metageneration,
      'x-goog-hash': `crc32c=${obj.crc32c},md5=${obj.md5Hash}`,
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': String(obj.bytes.length),
      etag: Buffer.from(`${obj.generation}/${obj.metageneration}`).toString('base64'),
    },
    body: obj.bytes,
  });

  const list = (bucket: string, q: URLSearchParams): Reply => {
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const startOffset = q.get('startOffset');
    const endOffset = q.get('endOffset');
    const maxResults = Math.max(1, Math.min(1000, Number(q.get('maxResults') ?? 1000) || 1000));
    const token = q.get('pageToken');
    let after: string | null = null;
    let afterPrefix: string | null = null;
    if (token) {
      try {
        const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { a?: unknown; p?: unknown };
        if (typeof t.a === 'string') after = t.a;
        if (typeof t.p === 'string') afterPrefix = t.p;
      } catch {
        throw badRequest('Invalid pageToken');
      }
    }
    const objects = bucketOf(bucket);
    const items: Record<string, unknown>[] = [];
    const prefixes: string[] = [];
    let lastEntry: { a: string; p?: string } | null = null;
    let more = false;
    for (const name of namesOf(bucket)) {
      if (!name.startsWith(prefix)) continue;
      if (startOffset !== null && compareNames(name, startOffset) < 0) continue;
      if (endOffset !== null && compareNames(name, endOffset) >= 0) continue;
      if (after !== null && compareNames(name, after) <= 0) continue;
      if (afterPrefix !== null && name.startsWith(afterPrefix)) continue;
      let collapsed: string | null = null;
      if (delimiter) {
        const i = name.indexOf(delimiter, prefix.length);
        if (i >= 0) collapsed = name.slice(0, i + delimiter.length);
      }
      if (collapsed !== null && prefixes[prefixes.length - 1] === collapsed) continue;
      if (items.length + prefixes.length >= maxResults) {
        more = true;
        break;
      }
      if (collapsed !== null) {
        prefixes.push(collapsed);
        lastEntry = { a: name, p: collapsed };
      } else {
        items.push(objectResource(objects.get(name)!, baseUrl));
        lastEntry = { a: name };
      }
    }
    stats.listedEntries += items.length + prefixes.length;
    const body: Record<string, unknown> = { kind: 'storage#objects' };
    if (items.length > 0) body.items = items;
    if (prefixes.length > 0) body.prefixes = prefixes;
    if (more && lastEntry) body.nextPageToken = Buffer.from(JSON.stringify(lastEntry)).toString('base64url');
    return json(200, body);
  };

  const uploadFromBody = (req: IncomingMessage, q: URLSearchParams, body: Buffer) => {
    const type = q.get('uploadType') ?? (String(req.headers['content-type']).startsWith('multipart/') ? 'multipart' : 'media');
    let name = q.get('name') ?? undefined;
    let contentType = 'application/octet-stream';
    let metadata: Record<string, string> | undefined;
    let bytes: Buffer;
    let expected: { crc32c?: string; md5Hash?: string } = {};
    if (type === 'multipart') {
      const parts = parseMultipart(body, boundaryOf(req.headers['content-type']));
      const [meta, media] = parts;
      if (!meta || !media) throw badRequest('multipart upload needs a metadata part and a media part');
      let resource: Record<string, unknown>;
      try {
        resource = JSON.parse(meta.body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        throw badRequest('metadata part is not JSON');
      }
      if (typeof resource.name === 'string' && !name) name = resource.name;
      contentType =
        typeof resource.contentType === 'string' ? resource.contentType : (media.headers['content-type'] ?? contentType);
      if (resource.metadata && typeof resource.metadata === 'object') metadata = resource.metadata as Record<string, string>;
      expected = {
        ...(typeof resource.crc32c === 'string' ? { crc32c: resource.crc32c } : {}),
        ...(typeof resource.md5Hash === 'string' ? { md5Hash: resource.md5Hash } : {}),
      };
      bytes = media.body;
    } else if (type === 'media') {
      contentType = req.headers['content-type'] ?? contentType;
      bytes = body;
    } else {
      throw badRequest(`Invalid uploadType: ${type}`);
    }
    if (!name) throw new HttpError(400, 'required', 'Required parameter: name');
    if (expected.crc32c !== undefined && expected.crc32c !== crc32cBase64(bytes)) {
      throw badRequest('Provided CRC32C "' + expected.crc32c + '" doesn\'t match calculated CRC32C');
    }
    if (expected.md5Hash !== undefined && expected.md5Hash !== md5Base64(bytes)) {
      throw badRequest('Provided MD5 hash "' + expected.md5Hash + '" doesn\'t match calculated MD5 hash');
    }
    return { name, contentType, metadata, bytes };
  };

  /** Verifies an `X-Goog-Hash` header, if the client sent one. */
  const checkHashHeader = (header: string | string[] | undefined, bytes: Buffer): void => {
    const value = Array.isArray(header) ? header.join(',') : header;
    if (!value) return;
    for (const pair of value.split(',')) {
      const eq = pair.indexOf('=');
      const kind = pair.slice(0, eq).trim();
      const v = pair.slice(eq + 1).trim();
      if (kind === 'crc32c' && v !== crc32cBase64(bytes)) throw badRequest('CRC32C mismatch');
      if (kind === 'md5' && v !== md5Base64(bytes)) throw badRequest('MD5 mismatch');
    }
  };

  /** Handles one request; returns the reply, or 'drop' to destroy the socket after the operation. */
  const handle = async (req: IncomingMessage, url: URL): Promise<Reply | 'drop'> => {
    const method = req.method ?? 'GET';
    const q = url.searchParams;
    const r = route(method, url.pathname, q);
    const body = await readBody(req);
    if (latencyMs > 0 || latencyJitterMs > 0) await sleep(latencyMs + Math.floor(random() * latencyJitterMs));
    if (!r) throw new HttpError(404, 'notFound', `Not Found: ${method} ${url.pathname}`);

    if (r.op === 'bucket') {
      if (method === 'POST') {
        let name = '';
        try {
          const parsed = JSON.parse(body.toString('utf8') || '{}') as { name?: unknown };
          if (typeof parsed.name === 'string') name = parsed.name;
        } catch {
          throw badRequest('bucket resource is not JSON');
        }
        if (!name) throw new HttpError(400, 'required', 'Required parameter: name');
        bucketOf(name);
        return json(200, bucketResource(name, baseUrl));
      }
      if (method === 'GET' && r.bucket === '') {
        return json(200, { kind: 'storage#buckets', items: [...buckets.keys()].map((b) => bucketResource(b, baseUrl)) });
      }
      if (method === 'GET') {
        bucketOf(r.bucket);
        return json(200, bucketResource(r.bucket, baseUrl));
      }
      if (method === 'DELETE') {
        buckets.delete(r.bucket);
        sortedNames.delete(r.bucket);
        return { status: 204 };
      }
      throw new HttpError(405, 'methodNotAllowed', `Method not allowed: ${method}`);
    }

    if (r.op === 'resumable-start') {
      stats.requests.upload++;
      const name = q.get('name');
      if (!name) throw new HttpError(400, 'required', 'Required parameter: name');
      let resource: Record<string, unknown> = {};
      if (body.length > 0) {
        try {
          resource = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        } catch {
          throw badRequest('metadata is not JSON');
        }
      }
      const headerType = req.headers['x-upload-content-type'];
      const id = `s${++sessionCounter}-${Date.now().toString(36)}`;
      sessions.set(id, {
        bucket: r.bucket,
        name,
        contentType:
          typeof resource.contentType === 'string'
            ? resource.contentType
            : typeof headerType === 'string'
              ? headerType
              : 'application/octet-stream',
        metadata: resource.metadata && typeof resource.metadata === 'object' ? (resource.metadata as Record<string, string>) : undefined,
        preconditions: preconditionsOf(q),
        chunks: [],
        received: 0,
        done: null,
      });
      const location = `${baseUrl}/upload/storage/v1/b/${encodeURIComponent(r.bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
      return { status: 200, headers: { location, 'content-length': '0' } };
    }

    if (r.op === 'resumable-put') {
      stats.requests.upload++;
      const id = q.get('upload_id') ?? '';
      const session = sessions.get(id);
      if (!session) throw new HttpError(404, 'notFound', `No such upload session: ${id}`);
      if (session.done) return objectReply(session.done);
      // Content-Range: absent (the whole object), "bytes */TOTAL|*" (a status query),
      // "bytes A-B/TOTAL|*" (a chunk) or "bytes A-*/TOTAL|*" (the rest of the object).
      const range = String(req.headers['content-range'] ?? '').trim();
      const m = /^bytes (?:\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(range);
      if (range && !m) throw badRequest(`Invalid Content-Range: ${range}`);
      const total = m?.[3] === undefined || m[3] === '*' ? null : Number(m[3]);
      const isChunk = m?.[1] !== undefined;
      if (!m || isChunk) {
        const start = m ? Number(m[1]) : 0;
        const skip = session.received - start;
        if (skip < 0) throw badRequest('Content-Range does not continue the upload');
        if (skip < body.length) {
          session.chunks.push(body.subarray(skip));
          session.received += body.length - skip;
        }
      }
      const finished = !m || (total !== null ? session.received >= total : isChunk && m[2] === '*');
      if (!finished) {
        return {
          status: 308,
          headers: session.received > 0 ? { range: `bytes=0-${session.received - 1}`, 'content-length': '0' } : { 'content-length': '0' },
        };
      }
      const bytes = Buffer.concat(session.chunks);
      checkHashHeader(req.headers['x-goog-hash'], bytes);
      const fault = await pickFault('upload', session.bucket, session.name);
      if (fault === '412') throw preconditionFailed();
      if (fault === '429') throw rateLimited();
      if (fault === '503') throw backendError();
      const obj = commitUpload(session.bucket, session.name, bytes, session.contentType, session.metadata, session.preconditions);
      session.done = obj;
      return fault === 'drop-after-commit' ? 'drop' : objectReply(obj);
    }

    const op = r.op;
    stats.requests[op]++;
    const faultName = op === 'list' ? (q.get('prefix') ?? '') : op === 'upload' ? (q.get('name') ?? '') : (r.name ?? '');

    if (op === 'upload') {
      // Parse first so that a malformed request is a 400 whatever the faults.
      const up = uploadFromBody(req, q, body);
      const pre = preconditionsOf(q);
      const fault = await pickFault('upload', r.bucket, up.name);
      if (fault === '412') throw preconditionFailed();
      if (fault === '429') throw rateLimited();
      if (fault === '503') throw backendError();
      const obj = commitUpload(r.bucket, up.name, up.bytes, up.contentType, up.metadata, pre);
      return fault === 'drop-after-commit' ? 'drop' : objectReply(obj);
    }

    const fault = await pickFault(op, r.bucket, faultName);
    if (fault === '412') throw preconditionFailed();
    if (fault === '429') throw rateLimited();
    if (fault === '503') throw backendError();
    const drop = fault === 'drop-after-commit';

    if (op === 'list') {
      const reply = list(r.bucket, q);
      return drop ? 'drop' : reply;
    }
    const name = r.name!;
    if (op === 'delete') {
      const current = bucketOf(r.bucket).get(name);
      if (!current) throw notFound(r.bucket, name);
      if (!holds(preconditionsOf(q), current)) {
        stats.preconditionFailures++;
        throw preconditionFailed();
      }
      admitWrite(r.bucket, name);
      remove(r.bucket, name);
      count(stats.deletes, name);
      return drop ? 'drop' : { status: 204 };
    }
    const obj = read(r.bucket, name, q);
    if (drop) return 'drop';
    return op === 'download' ? download(obj) : objectReply(obj);
  };

  const sockets = new Set<Socket>();
  const server = createServer((req, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const finish = (reply: Reply) => {
      const body = reply.body === undefined ? undefined : typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
      const headers: Record<string, string> = { ...reply.headers };
      if (body && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
      res.writeHead(reply.status, headers);
      res.end(reply.status === 204 || req.method === 'HEAD' ? undefined : body);
      log?.(`${req.method} ${url.pathname}${url.search} -> ${reply.status}`);
    };
    handle(req, url).then(
      (reply) => {
        if (reply === 'drop') {
          log?.(`${req.method} ${url.pathname}${url.search} -> (dropped after commit)`);
          req.socket.destroy();
          return;
        }
        finish(reply);
      },
      (err: unknown) => {
        if (err instanceof HttpError) {
          finish({ status: err.status, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: errorBody(err) });
          return;
        }
        const message = err instanceof Error ? err.message : String(err);
        finish({
          status: 500,
          headers: { 'content-type': 'application/json; charset=UTF-8' },
          body: errorBody(new HttpError(500, 'internalError', `emulator error: ${message}`)),
        });
      },
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host}:${port}`;

  return {
    url: baseUrl,
    port,
    faults,
    stats,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await closed;
    },
    reset() {
      buckets.clear();
      sortedNames.clear();
      recentWrites.clear();
      sessions.clear();
      rules = [];
      random = seededRandom(initialSeed);
      latencyMs = 0;
      latencyJitterMs = 0;
      writeRateLimit = null;
      const fresh = newStats();
      stats.writes.clear();
      stats.deletes.clear();
      Object.assign(stats.requests, fresh.requests);
      Object.assign(stats.faults, fresh.faults);
      stats.listedEntries = 0;
      stats.preconditionFailures = 0;
      stats.rateLimited = 0;
    },
    setWriteRateLimit(perObjectPerSecond) {
      if (perObjectPerSecond !== null && !(perObjectPerSecond > 0)) throw new RangeError('the write-rate limit must be positive or null');
      writeRateLimit = perObjectPerSecond;
      recentWrites.clear();
    },
    setLatency(ms, jitterMs = 0) {
      latencyMs = Math.max(0, ms);
      latencyJitterMs = Math.max(0, jitterMs);
    },
    getObject(bucket, name) {
      return buckets.get(bucket)?.get(name);
    },
    listNames(bucket) {
      return namesOf(bucket).slice();
    },
    putObject(bucket, name, bytes, contentType = 'application/octet-stream') {
      return store(bucket, name, Buffer.from(bytes), contentType, undefined);
    },
  };
}
