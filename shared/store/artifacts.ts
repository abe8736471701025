/** Node outputs under `runs/<runId>/artifacts/<name>`; names are checked before any I/O. */
import { createHash } from 'node:crypto';
import type { ArtifactRef } from '../domain/events.ts';
import type { BlobStore } from './blob-store.ts';
import { checkArtifactName, keys } from './keys.ts';

export interface StoredArtifact {
  body: Buffer;
  contentType: string;
}

export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

export async function putArtifact(blobs: BlobStore, runId: string, name: string, body: Buffer | string, contentType: string): Promise<ArtifactRef> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  await blobs.put(keys.artifact(runId, name), bytes, { contentType });
  return { name, sha256: sha256Hex(bytes), size: bytes.length, contentType };
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
