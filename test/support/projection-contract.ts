/**
 * The projection contract (run.json), run against every adapter: absent until
 * written, never overwritten by an older `lastSeq`, and read with the
 * generation a reader compares to decide that an unchanged run.json costs one
 * metadata read.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { initialState, type RunState } from '../../shared/domain/run-state.ts';
import { serializeProjection } from '../../shared/store/run-store.ts';
import { freshStore, type StoreFactory } from './store-fixture.ts';

const stateAt = (runId: string, lastSeq: number, label = ''): RunState => ({ ...initialState(), runId, lastSeq, label });

export function describeProjections(name: string, factory: StoreFactory): void {
  describe(`projection contract: ${name}`, function () {
    const fx = freshStore(factory);

    it('is absent until written', async () => {
      const store = fx.current();
      const run = uuidv7();
      expect(await store.readProjection(run)).to.equal(null);
      expect(await store.readProjectionVersion(run)).to.equal(null);
      expect(await store.projectionGeneration(run)).to.equal(null);
    });

    it('writes a projection that never goes backwards', async () => {
      const store = fx.current();
      const run = uuidv7();
      expect(await store.readProjection(run)).to.equal(null);
      const later = { ...initialState(), runId: run, lastSeq: 5 };
      await store.writeProjection(run, later);
      await store.writeProjection(run, { ...later, lastSeq: 3 });
      expect((await store.readProjection(run))?.toString()).to.equal(serializeProjection(later));
    });

    it('reads bytes with their generation; the generation moves only when run.json does', async () => {
      const store = fx.current();
      const run = uuidv7();
      await store.writeProjection(run, stateAt(run, 2));
      const first = await store.readProjectionVersion(run);
      expect(first?.bytes.toString()).to.equal(serializeProjection(stateAt(run, 2)));
      expect(await store.projectionGeneration(run)).to.equal(first?.generation);
      await store.writeProjection(run, stateAt(run, 1, 'older')); // refused: behind what is stored
      expect(await store.projectionGeneration(run)).to.equal(first?.generation);
      await store.writeProjection(run, stateAt(run, 4));
      const second = await store.readProjectionVersion(run);
      expect(second?.generation).to.not.equal(first?.generation);
      expect(await store.projectionGeneration(run)).to.equal(second?.generation);
      expect(second?.bytes.toString()).to.equal(serializeProjection(stateAt(run, 4)));
    });

    it('racing writers end with the latest lastSeq', async () => {
      const store = fx.current();
      const run = uuidv7();
      await Promise.all([3, 9, 1, 7, 5, 8, 2].map((seq) => store.writeProjection(run, stateAt(run, seq))));
      expect((await store.readProjection(run))?.toString()).to.equal(serializeProjection(stateAt(run, 9)));
    });
  });
}
