/**
 * Dedup claims: `tenants/<tenant>/signatures/<sig>` → runId. Created only when
 * absent (GCS `ifGenerationMatch=0`, local exclusive create), so fifty
 * identical concurrent builds make one run; moved only under the generation
 * it was read at; released only while it still points at the run releasing it.
 */
import { PreconditionFailedError, type BlobStore } from './blob-store.ts';
import { isRunId, keys } from './keys.ts';

export interface Claim {
  runId: string;
  generation: string;
}

const CLAIM_WRITE = { contentType: 'text/plain' } as const;

/** A put that answers false instead of throwing when its precondition does not hold. */
async function putIf(blobs: BlobStore, key: string, runId: string, ifGenerationMatch: string): Promise<boolean> {
  try {
    await blobs.put(key, runId, { ...CLAIM_WRITE, ifGenerationMatch });
    return true;
  } catch (err) {
    if (err instanceof PreconditionFailedError) return false;
    throw err;
  }
}

export async function readClaim(blobs: BlobStore, tenant: string, signature: string): Promise<Claim | null> {
  const obj = await blobs.get(keys.claim(tenant, signature));
  if (!obj) return null;
  const runId = obj.bytes.toString('utf8').trim();
  return isRunId(runId) ? { runId, generation: obj.generation } : null;
}

export async function createClaim(blobs: BlobStore, tenant: string, signature: string, runId: string): Promise<boolean> {
  return putIf(blobs, keys.claim(tenant, signature), runId, '0');
}

export async function replaceClaim(blobs: BlobStore, tenant: string, signature: string, runId: string, expectedGeneration: string): Promise<boolean> {
  return putIf(blobs, keys.claim(tenant, signature), runId, expectedGeneration);
}

export async function releaseClaim(blobs: BlobStore, tenant: string, signature: string, runId: string): Promise<void> {
  const key = keys.claim(tenant, signature);
  const obj = await blobs.get(key);
  if (!obj || obj.bytes.toString('utf8').trim() !== runId) return;
  try {
    await blobs.delete(key, { ifGenerationMatch: obj.generation });
  } catch (err) {
    // Moved to another run meanwhile: that claim is not ours to release.
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
}
