/**
 * The listing-index contract, run against every adapter: a tenant's runs
 * newest first, page by page, with cursors only this server issues; and the
 * store-wide list of run ids a checker walks.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { InvalidKeyError } from '../../shared/store/keys.ts';
import { expectReject, freshStore, type StoreFactory } from './store-fixture.ts';

export function describeRunIndex(name: string, factory: StoreFactory): void {
  describe(`listing-index contract: ${name}`, function () {
    const fx = freshStore(factory);

    it('lists a tenant’s runs newest first, page by page', async () => {
      const store = fx.current();
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const id = uuidv7();
        ids.push(id);
        await store.indexRun('acme', id);
      }
      await store.indexRun('other', uuidv7());
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { runIds: string[]; cursor: string | null } = await store.listRuns('acme', { limit: 3, cursor });
        expect(page.runIds.length).to.be.at.most(3);
        seen.push(...page.runIds);
        cursor = page.cursor;
      } while (cursor);
      expect(seen).to.deep.equal([...ids].reverse());
      await store.unindexRun('acme', ids[0] as string);
      expect((await store.listRuns('acme', { limit: 10 })).runIds).to.not.include(ids[0]);
      await expectReject(store.listRuns('acme', { limit: 3, cursor: 'bm90LWEtY3Vyc29y' }), InvalidKeyError);
    });

    it('an exact page ends with a null cursor; an empty tenant lists nothing; indexing twice lists once', async () => {
      const store = fx.current();
      const ids = [uuidv7(), uuidv7(), uuidv7()];
      for (const id of ids) await store.indexRun('acme', id);
      await store.indexRun('acme', ids[1] as string);
      expect(await store.listRuns('acme', { limit: 3 })).to.deep.equal({ runIds: [...ids].reverse(), cursor: null });
      expect(await store.listRuns('nobody', { limit: 3 })).to.deep.equal({ runIds: [], cursor: null });
    });

    it('a cursor of one tenant is refused for another', async () => {
      const store = fx.current();
      for (let i = 0; i < 3; i++) await store.indexRun('acme', uuidv7());
      const page = await store.listRuns('acme', { limit: 1 });
      expect(page.cursor).to.be.a('string');
      await expectReject(store.listRuns('globex', { limit: 1, cursor: page.cursor }), InvalidKeyError);
    });

    it('lists every run id the store holds anything for, sorted, indexed or not', async () => {
      const store = fx.current();
      expect(await store.listAllRunIds()).to.deep.equal([]);
      const [withLog, withArtifact, indexedOnly] = [uuidv7(), uuidv7(), uuidv7()];
      await store.append(withLog, [{ v: 1, id: 'e1', type: 'run.deleted', at: '2026-11-27T10:00:00.000Z', data: { by: 'x' } }]);
      await store.putArtifact(withArtifact, 'drivers.json', '{}', 'application/json');
      await store.putArtifact(withArtifact, 'report.md', '#', 'text/markdown');
      await store.indexRun('acme', indexedOnly);
      expect(await store.listAllRunIds()).to.deep.equal([withLog, withArtifact].sort());
    });
  });
}
