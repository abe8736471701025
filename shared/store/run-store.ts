/**
 * The RunStore port: everything both processes persist about runs. Built once
 * from a backend's BlobStore (objects with generations) and its EventLog; the
 * adapters (`getMemoryRunStore`, `getLocalRunStore`, `getGcsRunStore`) only
 * choose those two parts and the group-commit interval that suits them.
 */
import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { ArtifactRef, PendingEvent } from '../domain/events.ts';
import type { RunState } from '../domain/run-state.ts';
import { PreconditionFailedError, type BlobStore } from './blob-store.ts';
import type { AppendOptions, AppendResult, EventLog, LogHead, LogSnapshot } from './event-log.ts';
import { InvalidKeyError, checkArtifactName, invertRunId, isRunId, keys } from './keys.ts';

export interface Claim {
  runId: string;
  generation: string;
}

export interface RunPage {
  runIds: string[];
  /** Opaque; pass back to get the next page. Null on the last page. */
  cursor: string | null;
}

export interface StoredArtifact {
  body: Buffer;
  contentType: string;
}

export interface RunStore {
  readonly backend: 'memory' | 'local' | 'gcs';
  /** How long the job's group committer may buffer events on this backend. */
  readonly commitIntervalMs: number;
  readonly blobs: BlobStore;

  readLog(runId: string, afterSeq?: number): Promise<LogSnapshot>;
  logHead(runId: string): Promise<LogHead | null>;
  append(runId: string, events: readonly PendingEvent[], options?: AppendOptions): Promise<AppendResult>;

  /** run.json bytes as stored (possibly behind the log; see `lastSeq`). */
  readProjection(runId: string): Promise<Buffer | null>;
  /** Writes run.json, unless the stored one is already at or past this state. */
  writeProjection(runId: string, state: RunState): Promise<void>;

  putArtifact(runId: string, name: string, body: Buffer | string, contentType: string): Promise<ArtifactRef>;
  getArtifact(runId: string, name: string): Promise<StoredArtifact | null>;
  listArtifacts(runId: string): Promise<string[]>;

  readClaim(tenant: string, signature: string): Promise<Claim | null>;
  /** Create-only: false when a claim for the signature already exists. */
  createClaim(tenant: string, signature: string, runId: string): Promise<boolean>;
  /** Compare-and-swap on the claim's generation: false when someone else moved it. */
  replaceClaim(tenant: string, signature: string, runId: string, expectedGeneration: string): Promise<boolean>;
  /** Removes the claim only if it still points at `runId`. */
  releaseClaim(tenant: string, signature: string, runId: string): Promise<void>;

  indexRun(tenant: string, runId: string): Promise<void>;
  unindexRun(tenant: string, runId: string): Promise<void>;
  /** The tenant's run ids, newest first. Cost grows with `limit`, not with the number of runs. */
  listRuns(tenant: string, options: { limit: number; cursor?: string | null }): Promise<RunPage>;
}

export interface RunStoreParts {
  blobs: BlobStore;
  log: EventLog;
  commitIntervalMs: number;
}

export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The projection exactly as stored and served: stable key order, no whitespace. */
export function serializeProjection(state: RunState): string {
  return stableStringify(state);
}

export function encodeCursor(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, prefix: string): string {
  let key: string;
  try {
    key = Buffer.from(cursor, 'base64url').toString('utf8');
  } catch {
    throw new InvalidKeyError('cursor', 'cursor is not one this server issued');
  }
  if (!key.startsWith(prefix) || !isRunId(key.slice(prefix.length))) {
    throw new InvalidKeyError('cursor', 'cursor is not one this server issued');
  }
  return key;
}

export function getRunStore(parts: RunStoreParts): RunStore {
  const { blobs, log } = parts;

  const projectionSeq = (bytes: Buffer): number => {
    const m = /"lastSeq":(\d+)/.exec(bytes.toString('utf8'));
    return m ? Number(m[1]) : 0;
  };

  return {
    backend: blobs.backend,
    commitIntervalMs: parts.commitIntervalMs,
    blobs,

    readLog: (runId, afterSeq) => log.read(runId, afterSeq),
    logHead: (runId) => log.head(runId),
    append: (runId, events, options) => log.append(runId, events, options),

    async readProjection(runId) {
      return (await blobs.get(keys.projection(runId)))?.bytes ?? null;
    },

    async writeProjection(runId, state) {
      const key = keys.projection(runId);
      const body = serializeProjection(state);
      // Two writers may race; the one with the later lastSeq must win.
      for (let round = 0; round < 20; round++) {
        const current = await blobs.get(key);
        if (current && projectionSeq(current.bytes) >= state.lastSeq) return;
        try {
          await blobs.put(key, body, { ifGenerationMatch: current?.generation ?? '0', contentType: 'application/json' });
          return;
        } catch (err) {
          if (!(err instanceof PreconditionFailedError)) throw err;
        }
      }
    },

    async putArtifact(runId, name, body, contentType) {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      await blobs.put(keys.artifact(runId, name), bytes, { contentType });
      return { name, sha256: sha256Hex(bytes), size: bytes.length, contentType };
    },

    async getArtifact(runId, name) {
      const obj = await blobs.get(keys.artifact(runId, checkArtifactName(name)));
      return obj ? { body: obj.bytes, contentType: obj.contentType } : null;
    },

    async listArtifacts(runId) {
      const prefix = keys.artifactPrefix(runId);
      const names: string[] = [];
      let startAfter: string | undefined;
      for (;;) {
        const page = await blobs.list(prefix, { limit: 1000, ...(startAfter ? { startAfter } : {}) });
        names.push(...page.keys.map((k) => k.slice(prefix.length)));
        if (!page.next) return names;
        startAfter = page.next;
      }
    },

    async readClaim(tenant, signature) {
      const obj = await blobs.get(keys.claim(tenant, signature));
      if (!obj) return null;
      const runId = obj.bytes.toString('utf8').trim();
      return isRunId(runId) ? { runId, generation: obj.generation } : null;
    },

    async createClaim(tenant, signature, runId) {
      try {
        await blobs.put(keys.claim(tenant, signature), runId, { ifGenerationMatch: '0', contentType: 'text/plain' });
        return true;
      } catch (err) {
        if (err instanceof PreconditionFailedError) return false;
        throw err;
      }
    },

    async replaceClaim(tenant, signature, runId, expectedGeneration) {
      try {
        await blobs.put(keys.claim(tenant, signature), runId, { ifGenerationMatch: expectedGeneration, contentType: 'text/plain' });
        return true;
      } catch (err) {
        if (err instanceof PreconditionFailedError) return false;
        throw err;
      }
    },

    async releaseClaim(tenant, signature, runId) {
      const key = keys.claim(tenant, signature);
      const obj = await blobs.get(key);
      if (!obj || obj.bytes.toString('utf8').trim() !== runId) return;
      try {
        await blobs.delete(key, { ifGenerationMatch: obj.generation });
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
    },

    async indexRun(tenant, runId) {
      await blobs.put(keys.indexEntry(tenant, runId), runId, { contentType: 'text/plain' });
    },

    async unindexRun(tenant, runId) {
      await blobs.delete(keys.indexEntry(tenant, runId));
    },

    async listRuns(tenant, { limit, cursor }) {
      const prefix = keys.indexPrefix(tenant);
      const startAfter = cursor ? decodeCursor(cursor, prefix) : undefined;
      const page = await blobs.list(prefix, { limit, ...(startAfter ? { startAfter } : {}) });
      return {
        runIds: page.keys.map((k) => invertRunId(k.slice(prefix.length))),
        cursor: page.next ? encodeCursor(page.next) : null,
      };
    },
  };
}
