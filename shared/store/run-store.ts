/**
 * The RunStore port: everything both processes persist about runs, behind
 * methods that name what they keep (a log, a projection, artifacts, claims, a
 * listing index, a lease, a publish cursor). The storage layout stays inside
 * `shared/store`: no caller builds a key or sees the blobs underneath.
 *
 * Built once from a backend's BlobStore (objects with generations) and its
 * EventLog; the adapters (`getMemoryRunStore`, `getLocalRunStore`,
 * `getGcsRunStore`) only choose those two parts and the group-commit interval
 * that suits them.
 */
import type { ArtifactRef, PendingEvent } from '../domain/events.ts';
import type { RunState } from '../domain/run-state.ts';
import { getActiveRuns, type ActiveRuns } from './active-runs.ts';
import * as artifacts from './artifacts.ts';
import type { PutArtifactOptions, StoredArtifact } from './artifacts.ts';
import type { BlobStore } from './blob-store.ts';
import * as claims from './claims.ts';
import type { Claim } from './claims.ts';
import type { AppendOptions, AppendResult, EventLog, LogHead, LogSnapshot } from './event-log.ts';
import { keys } from './keys.ts';
import { getLeaseStore, type LeaseStore } from './lease-store.ts';
import * as projections from './projections.ts';
import type { StoredProjection } from './projections.ts';
import { getPublishCursors, type PublishCursors } from './publish-cursors.ts';
import * as index from './run-index.ts';
import type { RunPage } from './run-index.ts';

export type { ActiveRunPage, ActiveRuns } from './active-runs.ts';
export { ArtifactConflictError, type PutArtifactOptions, type StoredArtifact } from './artifacts.ts';
export { sha256Hex } from './artifacts.ts';
export { FencedAppendError } from './event-log.ts';
export type { Claim } from './claims.ts';
export type { Lease, LeasePeek, LeaseRecord, LeaseResult, LeaseStore } from './lease-store.ts';
export { serializeProjection, type StoredProjection } from './projections.ts';
export type { PublishCursors } from './publish-cursors.ts';
export type { RunPage } from './run-index.ts';

export interface RunStore {
  readonly backend: 'memory' | 'local' | 'gcs';
  /** How long the job's group committer may buffer events on this backend. */
  readonly commitIntervalMs: number;

  readLog(runId: string, afterSeq?: number): Promise<LogSnapshot>;
  logHead(runId: string): Promise<LogHead | null>;
  append(runId: string, events: readonly PendingEvent[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * `events.jsonl` exactly as stored, torn tail and all; null when absent. For
   * checkers that judge the bytes themselves — everyone else reads `readLog`.
   */
  readRawLog(runId: string): Promise<Buffer | null>;

  /** run.json bytes as stored (possibly behind the log; see `lastSeq`). */
  readProjection(runId: string): Promise<Buffer | null>;
  /** run.json bytes with the generation they were read at, to compare with `projectionGeneration` later. */
  readProjectionVersion(runId: string): Promise<StoredProjection | null>;
  /** The generation of run.json without its bytes (one stat, one metadata call); null when absent. */
  projectionGeneration(runId: string): Promise<string | null>;
  /** Writes run.json, unless the stored one is already at or past this state (the later `lastSeq` wins a race). */
  writeProjection(runId: string, state: RunState): Promise<void>;

  /** See `PutArtifactOptions` for the guarded (create-only) write a job execution makes. */
  putArtifact(runId: string, name: string, body: Buffer | string, contentType: string, options?: PutArtifactOptions): Promise<ArtifactRef>;
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
  /** Every run id the store holds anything for, sorted, whatever its tenant or index entry. Walks the whole store. */
  listAllRunIds(): Promise<string[]>;

  /** The single-active-execution lease of each run. */
  readonly leases: LeaseStore;
  /** The outbox's publish cursor of each run. */
  readonly cursors: PublishCursors;
  /** Runs not yet settled, for the reconciler's sweep (O(active), not O(all runs)). */
  readonly activeRuns: ActiveRuns;
}

export interface RunStoreParts {
  blobs: BlobStore;
  log: EventLog;
  commitIntervalMs: number;
}

export function getRunStore(parts: RunStoreParts): RunStore {
  const { blobs, log } = parts;
  return {
    backend: blobs.backend,
    commitIntervalMs: parts.commitIntervalMs,

    readLog: (runId, afterSeq) => log.read(runId, afterSeq),
    logHead: (runId) => log.head(runId),
    append: (runId, events, options) => log.append(runId, events, options),
    readRawLog: async (runId) => (await blobs.get(keys.events(runId)))?.bytes ?? null,

    readProjection: async (runId) => (await projections.readProjectionVersion(blobs, runId))?.bytes ?? null,
    readProjectionVersion: (runId) => projections.readProjectionVersion(blobs, runId),
    projectionGeneration: (runId) => projections.projectionGeneration(blobs, runId),
    writeProjection: (runId, state) => projections.writeProjection(blobs, runId, state),

    putArtifact: (runId, name, body, contentType, options) => artifacts.putArtifact(blobs, runId, name, body, contentType, options),
    getArtifact: (runId, name) => artifacts.getArtifact(blobs, runId, name),
    listArtifacts: (runId) => artifacts.listArtifacts(blobs, runId),

    readClaim: (tenant, signature) => claims.readClaim(blobs, tenant, signature),
    createClaim: (tenant, signature, runId) => claims.createClaim(blobs, tenant, signature, runId),
    replaceClaim: (tenant, signature, runId, generation) => claims.replaceClaim(blobs, tenant, signature, runId, generation),
    releaseClaim: (tenant, signature, runId) => claims.releaseClaim(blobs, tenant, signature, runId),

    indexRun: (tenant, runId) => index.indexRun(blobs, tenant, runId),
    unindexRun: (tenant, runId) => index.unindexRun(blobs, tenant, runId),
    listRuns: (tenant, options) => index.listRuns(blobs, tenant, options),
    listAllRunIds: () => index.listAllRunIds(blobs),

    leases: getLeaseStore(blobs),
    cursors: getPublishCursors(blobs),
    activeRuns: getActiveRuns(blobs),
  };
}
