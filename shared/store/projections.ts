/**
 * `run.json`, the projection: a cache of the fold that may lag behind the log,
 * never lead it. Writers race (the job, the orchestrator repairing a stale
 * one); the write with the later `lastSeq` wins under a generation precondition.
 */
import stableStringify from 'fast-json-stable-stringify';
import type { RunState } from '../domain/run-state.ts';
import { PreconditionFailedError, type BlobStore } from './blob-store.ts';
import { keys } from './keys.ts';

/** run.json bytes together with the generation they were read at. */
export interface StoredProjection {
  bytes: Buffer;
  generation: string;
}

/** The projection exactly as stored and served: stable key order, no whitespace. */
export function serializeProjection(state: RunState): string {
  return stableStringify(state);
}

/** `lastSeq` of stored bytes without parsing the whole document; 0 when it cannot be found. */
function projectionSeq(bytes: Buffer): number {
  const m = /"lastSeq":(\d+)/.exec(bytes.toString('utf8'));
  return m ? Number(m[1]) : 0;
}

export async function readProjectionVersion(blobs: BlobStore, runId: string): Promise<StoredProjection | null> {
  const obj = await blobs.get(keys.projection(runId));
  return obj ? { bytes: obj.bytes, generation: obj.generation } : null;
}

export async function projectionGeneration(blobs: BlobStore, runId: string): Promise<string | null> {
  return blobs.head(keys.projection(runId));
}

export async function writeProjection(blobs: BlobStore, runId: string, state: RunState): Promise<void> {
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
}
