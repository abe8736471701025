/**
 * BlobStore on local disk with GCS semantics. Writes go to a temp file that is
 * fsync'd and renamed into place, so a reader sees the old object or the new
 * one, never a mix; conditional writes hold the key's process lock around the
 * check and the rename. A generation is the file's inode and change time,
 * which differ for every rename.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BoundedLru } from '../bounded-lru.ts';
import { PreconditionFailedError, type BlobObject, type BlobStore, type ListPage, type PutOptions } from './blob-store.ts';
import { InvalidKeyError } from './keys.ts';
import { withProcessLock } from './process-lock.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.svg': 'image/svg+xml',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

export function contentTypeOf(key: string): string {
  return CONTENT_TYPES[path.extname(key)] ?? 'application/octet-stream';
}

function generationOf(st: { ino: bigint; ctimeNs: bigint; mtimeNs: bigint }): string {
  return `${st.ino}.${st.ctimeNs}.${st.mtimeNs}`;
}

const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** Far beyond the filesystem timestamp granularity (coarse clock ticks are a few ms). */
const RACY_NS = 100_000_000n;
const MAX_LISTINGS = 64;

export interface LocalBlobStore extends BlobStore {
  readonly root: string;
  /** Absolute path of a key, confined to the root. */
  resolve(key: string): string;
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Absolute path of a key, confined to `root`: no NUL, no absolute path, no `.`/`..` segment, nothing outside. */
function confine(root: string, key: string): string {
  if (key.includes('\0') || path.isAbsolute(key) || key.split('/').some((p) => p === '..' || p === '.')) {
    throw new InvalidKeyError('key', 'key must stay inside the store');
  }
  const full = path.resolve(root, key);
  if (!full.startsWith(root + path.sep)) throw new InvalidKeyError('key', 'key must stay inside the store');
  return full;
}

/**
 * A directory's entries, sorted; cached while the directory's mtime stays
 * put, so listing a large directory again costs a stat, not a readdir and a
 * sort. A listing read within RACY_NS of the mtime it saw is not cached:
 * a change in the same clock tick would leave that mtime as it was.
 */
class DirListings {
  readonly #cache = new BoundedLru<string, { ino: bigint; mtimeNs: bigint; names: string[] }>({ maxEntries: MAX_LISTINGS });

  async sortedNames(dir: string): Promise<string[] | null> {
    let st;
    try {
      st = await fs.stat(dir, { bigint: true });
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    const cached = this.#cache.get(dir);
    if (cached && cached.ino === st.ino && cached.mtimeNs === st.mtimeNs) return cached.names;
    let names: string[];
    try {
      names = (await fs.readdir(dir)).filter((n) => !n.startsWith('.tmp-')).sort();
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    this.#cache.delete(dir);
    if (BigInt(Date.now()) * 1_000_000n - st.mtimeNs > RACY_NS) this.#cache.set(dir, { ino: st.ino, mtimeNs: st.mtimeNs, names });
    return names;
  }
}

async function statGeneration(file: string): Promise<string | null> {
  try {
    return generationOf(await fs.stat(file, { bigint: true }));
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** Temp file, fsync, then rename (or link, for create-only) into place and fsync the directory. */
async function writeAtomically(root: string, file: string, bytes: Buffer | string, exclusive: boolean): Promise<string> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.tmp-${randomUUID()}`);
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    if (exclusive) {
      // link() fails if the target exists: an atomic create-only.
      await fs.link(tmp, file);
      await fs.unlink(tmp);
    } else {
      await fs.rename(tmp, file);
    }
  } catch (err) {
    await fs.rm(tmp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new PreconditionFailedError(file.slice(root.length + 1));
    throw err;
  }
  await fsyncDir(dir);
  return (await statGeneration(file)) ?? '0';
}

async function readObject(file: string, key: string): Promise<BlobObject | null> {
  let fh;
  try {
    fh = await fs.open(file, 'r');
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  try {
    // The handle pins the inode: bytes and generation belong to the same version.
    const st = await fh.stat({ bigint: true });
    const bytes = await fh.readFile();
    return { bytes, generation: generationOf(st), contentType: contentTypeOf(key) };
  } finally {
    await fh.close();
  }
}

async function unlinkIfPresent(file: string): Promise<boolean> {
  try {
    await fs.unlink(file);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/** One page of `names` (a directory's sorted entries, keyed under `dirKey`) matching `prefix`, after `startAfter`. */
function pageOf(names: readonly string[], prefix: string, startAfter: string | undefined, limit: number): ListPage {
  const slash = prefix.lastIndexOf('/');
  const dirKey = prefix.slice(0, slash + 1);
  const namePrefix = prefix.slice(slash + 1);
  // The first name after both the prefix's start and `startAfter`, by binary search: a page costs its size.
  const after = startAfter !== undefined && startAfter.startsWith(dirKey) ? startAfter.slice(dirKey.length) : undefined;
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const n = names[mid] as string;
    if (n < namePrefix || (after !== undefined && n <= after)) lo = mid + 1;
    else hi = mid;
  }
  const keys: string[] = [];
  let more = false;
  for (let i = lo; i < names.length; i++) {
    const n = names[i] as string;
    if (!n.startsWith(namePrefix)) break;
    if (startAfter !== undefined && dirKey + n <= startAfter) continue;
    if (keys.length === limit) {
      more = true;
      break;
    }
    keys.push(dirKey + n);
  }
  return { keys, next: more ? (keys[keys.length - 1] ?? null) : null };
}

export function getLocalBlobStore(rootDir: string): LocalBlobStore {
  const root = path.resolve(rootDir);
  const resolve = (key: string): string => confine(root, key);
  const listings = new DirListings();

  return {
    backend: 'local',
    root,
    resolve,

    get: (key) => readObject(resolve(key), key),

    head: (key) => statGeneration(resolve(key)),

    async put(key, bytes, options: PutOptions = {}) {
      const file = resolve(key);
      const match = options.ifGenerationMatch;
      if (match === '0') return { generation: await writeAtomically(root, file, bytes, true) };
      if (match === undefined) return { generation: await writeAtomically(root, file, bytes, false) };
      return withProcessLock(file, async () => {
        if ((await statGeneration(file)) !== match) throw new PreconditionFailedError(key);
        return { generation: await writeAtomically(root, file, bytes, false) };
      });
    },

    async delete(key, options = {}) {
      const file = resolve(key);
      const match = options.ifGenerationMatch;
      if (match === undefined) return unlinkIfPresent(file);
      return withProcessLock(file, async () => {
        const current = await statGeneration(file);
        if (current === null) return false; // as GCS: 404 before preconditions
        if (current !== match) throw new PreconditionFailedError(key);
        return unlinkIfPresent(file);
      });
    },

    async list(prefix, { startAfter, limit }) {
      // Prefixes used by the stores end at a directory boundary ("…/runs/").
      const dirKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
      const names = await listings.sortedNames(dirKey === '' ? root : resolve(dirKey.slice(0, -1)));
      if (names === null) return { keys: [], next: null };
      return pageOf(names, prefix, startAfter, limit);
    },
  };
}
