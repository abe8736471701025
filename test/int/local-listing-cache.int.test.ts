/**
 * The local BlobStore keeps a directory's sorted listing while the
 * directory's mtime stays put (so a page of a 10,000-run tenant costs a stat,
 * not a readdir). It must never serve a stale listing: every write or delete
 * made before a list call is seen by it, however close together they come.
 */
import { expect } from 'chai';
import { getLocalBlobStore } from '../../shared/store/local-blob-store.ts';
import { tempDir } from '../support/temp-dir.ts';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('local BlobStore: cached directory listings', function () {
  this.timeout(60_000);

  it('a write or delete right after a cached list is always seen by the next list', async () => {
    const { dir, cleanup } = await tempDir('sf-listing-');
    try {
      const blobs = getLocalBlobStore(dir);
      const expected = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const key = `t/runs/k${String(i).padStart(4, '0')}`;
        await blobs.put(key, 'x');
        expected.add(key);
      }
      for (let round = 0; round < 60; round++) {
        // Let the listing become old enough to be cached, list, then change it at once.
        if (round % 3 === 0) await pause(120);
        const listed = await blobs.list('t/runs/', { limit: 1000 });
        expect(listed.keys).to.deep.equal([...expected].sort());
        const key = `t/runs/n${String(round).padStart(4, '0')}`;
        if (round % 4 === 3) {
          const victim = [...expected][round % expected.size] as string;
          await blobs.delete(victim);
          expected.delete(victim);
        } else {
          await blobs.put(key, 'y');
          expected.add(key);
        }
        const after = await blobs.list('t/runs/', { limit: 1000 });
        expect(after.keys, `round ${round}`).to.deep.equal([...expected].sort());
      }
    } finally {
      await cleanup();
    }
  });

  it('pages by binary search: prefix, startAfter and limit as before', async () => {
    const { dir, cleanup } = await tempDir('sf-listing-');
    try {
      const blobs = getLocalBlobStore(dir);
      for (const name of ['a1', 'a2', 'a3', 'b1', 'b2', 'c1']) await blobs.put(`d/${name}`, name);
      await pause(120);
      expect(await blobs.list('d/b', { limit: 10 })).to.deep.equal({ keys: ['d/b1', 'd/b2'], next: null });
      expect(await blobs.list('d/', { limit: 2 })).to.deep.equal({ keys: ['d/a1', 'd/a2'], next: 'd/a2' });
      expect(await blobs.list('d/', { limit: 2, startAfter: 'd/a2' })).to.deep.equal({ keys: ['d/a3', 'd/b1'], next: 'd/b1' });
      expect(await blobs.list('d/', { limit: 10, startAfter: 'd/b1' })).to.deep.equal({ keys: ['d/b2', 'd/c1'], next: null });
      expect(await blobs.list('d/a', { limit: 10, startAfter: 'd/' })).to.deep.equal({ keys: ['d/a1', 'd/a2', 'd/a3'], next: null });
      expect(await blobs.list('d/a', { limit: 10, startAfter: 'd/a9' })).to.deep.equal({ keys: [], next: null });
      expect(await blobs.list('nope/', { limit: 10 })).to.deep.equal({ keys: [], next: null });
    } finally {
      await cleanup();
    }
  });
});
