/**
 * The active-runs index contract, run against every adapter: entered and left
 * idempotently, listed oldest first page by page, with cursors this server issued.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { InvalidKeyError } from '../../shared/store/keys.ts';
import { expectReject, freshStore, type StoreFactory } from './store-fixture.ts';

export function describeActiveRuns(name: string, factory: StoreFactory): void {
  describe(`active-runs contract: ${name}`, function () {
    const fx = freshStore(factory);

    it('lists entered runs oldest first, page by page, and forgets the ones that left', async () => {
      const store = fx.current();
      const ids = Array.from({ length: 5 }, () => uuidv7());
      for (const id of ids) await store.activeRuns.enter(id, 'acme');
      await store.activeRuns.enter(ids[2] as string, 'acme'); // twice is once
      await store.activeRuns.leave(ids[1] as string);
      await store.activeRuns.leave(ids[1] as string); // absent is fine
      await store.activeRuns.leave(uuidv7());
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { runIds: string[]; cursor: string | null } = await store.activeRuns.list({ limit: 2, cursor });
        expect(page.runIds.length).to.be.at.most(2);
        seen.push(...page.runIds);
        cursor = page.cursor;
      } while (cursor);
      expect(seen).to.deep.equal(ids.filter((_, i) => i !== 1));
    });

    it('is separate from the listing index and refuses a foreign cursor', async () => {
      const store = fx.current();
      const id = uuidv7();
      await store.indexRun('acme', id);
      expect((await store.activeRuns.list({ limit: 10 })).runIds).to.deep.equal([]);
      await store.activeRuns.enter(id, 'acme');
      expect((await store.listRuns('acme', { limit: 10 })).runIds).to.deep.equal([id]);
      const listing = await store.listRuns('acme', { limit: 1 });
      await store.indexRun('acme', uuidv7());
      const page = await store.listRuns('acme', { limit: 1 });
      expect(listing.cursor).to.equal(null);
      await expectReject(store.activeRuns.list({ limit: 1, cursor: page.cursor }), InvalidKeyError);
    });
  });
}
