/** Node outputs under `runs/<runId>/artifacts/<name>`; names are checked before any I/O. */
import { createHash } from 'node:crypto';
import type { ArtifactRef } from '../domain/events.ts';
import { PreconditionFailedError, type BlobStore } from './blob-store.ts';
import { checkArtifactName, keys } from './keys.ts';

export interface StoredArtifact {
  body: Buffer;
  contentType: string;
}

export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

export interface PutArtifactOptions {
  /**
   * For a writer that may be stale (a job execution that may have been
   * paused past its lease and replaced): the write is create-only, and an
   * existing object with other bytes is replaced only when this answers true
   * (the writer still holds the run's lease), asked after the object was
   * read, and only at the generation read then. Whoever takes the lease over
   * writes after taking it, so either its write changed the generation (ours
   * is refused) or it comes after ours (its bytes win): a stale writer never
   * overwrites the artifact a newer execution recorded. Without it, the write
   * is unconditional.
   */
  replaceOnlyIf?: () => Promise<boolean>;
}

/** Thrown when a guarded artifact write finds another writer's object and may not replace it. */
export class ArtifactConflictError extends Error {
  override readonly name = 'ArtifactConflictError';
}

export async function putArtifact(
  blobs: BlobStore,
  runId: string,
  name: string,
  body: Buffer | string,
  contentType: string,
  options: PutArtifactOptions = {},
): Promise<ArtifactRef> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const ref = { name, sha256: sha256Hex(bytes), size: bytes.length, contentType };
  const key = keys.artifact(runId, name);
  if (!options.replaceOnlyIf) {
    await blobs.put(key, bytes, { contentType });
    return ref;
  }
  try {
    await blobs.put(key, bytes, { contentType, ifGenerationMatch: '0' });
    return ref;
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
  const existing = await blobs.get(key);
  // The same bytes (a put retried after a lost answer, a deterministic model): nothing to replace.
  if (existing && sha256Hex(existing.bytes) === ref.sha256) return ref;
  if (!(await options.replaceOnlyIf())) throw new ArtifactConflictError(`artifact ${name} of run ${runId} exists and this writer no longer holds the run`);
  try {
    await blobs.put(key, bytes, { contentType, ifGenerationMatch: existing?.generation ?? '0' });
  } catch (err) {
    if (err instanceof PreconditionFailedError) throw new ArtifactConflictError(`artifact ${name} of run ${runId} was rewritten by another writer`);
    throw err;
  }
  return ref;
}

export async function getArtifact(blobs: BlobStore, runId: string, name: string): Promise<StoredArtifact | null> {
  const obj = await blobs.get(keys.artifact(runId, checkArtifactName(name)));
  return obj ? { body: obj.bytes, contentType: obj.contentType } : null;
}

export async function listArtifacts(blobs: BlobStore, runId: string): Promise<string[]> {
  const prefix = keys.artifactPrefix(runId);
  const names: string[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = await blobs.list(prefix, { limit: 1000, ...(startAfter ? { startAfter } : {}) });
    names.push(...page.keys.map((k) => k.slice(prefix.length)));
    if (!page.next) return names;
    startAfter = page.next;
  }
}
