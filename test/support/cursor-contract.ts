/**
 * The publish-cursor contract (`RunStore.cursors`), run against every
 * adapter: it starts at 0, moves forward, and never moves back, however
 * publishers race.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { InvalidKeyError } from '../../shared/store/keys.ts';
import { expectReject, freshStore, type StoreFactory } from './store-fixture.ts';

export function describeCursors(name: string, factory: StoreFactory): void {
  describe(`publish-cursor contract: ${name}`, function () {
    const fx = freshStore(factory);

    it('starts at 0 and advances', async () => {
      const cursors = fx.current().cursors;
      const run = uuidv7();
      expect(await cursors.read(run)).to.equal(0);
      expect(await cursors.advance(run, 3)).to.equal(3);
      expect(await cursors.read(run)).to.equal(3);
      expect(await cursors.advance(run, 10)).to.equal(10);
      expect(await cursors.read(run)).to.equal(10);
    });

    it('never moves backwards: advancing to an older seq answers the stored one', async () => {
      const cursors = fx.current().cursors;
      const run = uuidv7();
      await cursors.advance(run, 12);
      expect(await cursors.advance(run, 5)).to.equal(12);
      expect(await cursors.read(run)).to.equal(12);
    });

    it('never moves backwards under a race of publishers', async () => {
      const cursors = fx.current().cursors;
      const run = uuidv7();
      const seqs = [7, 3, 12, 1, 9, 12, 4, 11, 2, 10];
      const answers = await Promise.all(seqs.map((seq) => cursors.advance(run, seq)));
      answers.forEach((stored, i) => expect(stored).to.be.at.least(seqs[i] as number));
      expect(await cursors.read(run)).to.equal(12);
    });

    it('cursors of different runs are independent', async () => {
      const cursors = fx.current().cursors;
      const [a, b] = [uuidv7(), uuidv7()];
      await cursors.advance(a, 4);
      expect(await cursors.read(b)).to.equal(0);
    });

    it('refuses a run id that is not one', async () => {
      await expectReject(fx.current().cursors.read('..'), InvalidKeyError);
      await expectReject(fx.current().cursors.advance('a/b', 1), InvalidKeyError);
    });
  });
}
