/**
 * The lease contract (`RunStore.leases`), run against every adapter: one
 * active execution per run, renewed and released under generation
 * preconditions, taken over once expired. Time is a fake clock.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { InvalidKeyError } from '../../shared/store/keys.ts';
import type { Lease, LeaseResult } from '../../shared/store/run-store.ts';
import { expectReject, freshStore, type StoreFactory } from './store-fixture.ts';

function held(result: LeaseResult): Lease {
  if (!result.acquired) throw new Error(`expected the lease, but ${result.holder.executionId} holds it`);
  return result.lease;
}

export function describeLeases(name: string, factory: StoreFactory): void {
  describe(`lease contract: ${name}`, function () {
    const fx = freshStore(factory);
    let clock = 1_000_000;
    const now = () => clock;
    beforeEach(() => {
      clock = 1_000_000;
    });

    it('acquires, renews and releases; a released lease can be taken by another execution', async () => {
      const leases = fx.current().leases;
      const run = uuidv7();
      const a = held(await leases.acquire(run, 'exec-a', 1000, now));
      expect(a.record).to.include({ executionId: 'exec-a', expiresAt: clock + 1000 });
      clock += 500;
      expect(await a.renew()).to.equal(true);
      expect(a.record.expiresAt).to.equal(clock + 1000);
      await a.release();
      const b = await leases.acquire(run, 'exec-b', 1000, now);
      expect(b.acquired).to.equal(true);
    });

    it('a live lease of another execution refuses, naming its holder; the holder may take its own lease back', async () => {
      const leases = fx.current().leases;
      const run = uuidv7();
      held(await leases.acquire(run, 'exec-a', 1000, now));
      clock += 999;
      const refused = await leases.acquire(run, 'exec-b', 1000, now);
      expect(refused.acquired).to.equal(false);
      if (!refused.acquired) expect(refused.holder.executionId).to.equal('exec-a');
      expect((await leases.acquire(run, 'exec-a', 1000, now)).acquired).to.equal(true);
    });

    it('a renewed lease stays live past its first expiry', async () => {
      const leases = fx.current().leases;
      const run = uuidv7();
      const a = held(await leases.acquire(run, 'exec-a', 1000, now));
      clock += 800;
      expect(await a.renew()).to.equal(true);
      clock += 700; // past the first expiry, within the renewed one
      expect((await leases.acquire(run, 'exec-b', 1000, now)).acquired).to.equal(false);
    });

    it('an expired lease is taken over; the old holder’s renew then reports it lost and its release leaves the new lease alone', async () => {
      const leases = fx.current().leases;
      const run = uuidv7();
      const a = held(await leases.acquire(run, 'exec-a', 1000, now));
      clock += 1001;
      expect(await a.holds(), 'expired, but nobody took it: still a’s').to.equal(true);
      const b = held(await leases.acquire(run, 'exec-b', 1000, now));
      expect(b.record.executionId).to.equal('exec-b');
      expect(await a.holds()).to.equal(false);
      expect(await b.holds()).to.equal(true);
      expect(await a.renew()).to.equal(false);
      await a.release();
      const c = await leases.acquire(run, 'exec-c', 1000, now);
      expect(c.acquired).to.equal(false);
      if (!c.acquired) expect(c.holder.executionId).to.equal('exec-b');
      expect(await b.renew()).to.equal(true);
    });

    it('of many executions racing for a free lease, exactly one gets it', async () => {
      const leases = fx.current().leases;
      const run = uuidv7();
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => leases.acquire(run, `exec-${i}`, 1000, now)));
      const winners = results.filter((r) => r.acquired);
      expect(winners).to.have.length(1);
      const winner = winners[0]?.acquired ? winners[0].lease.record.executionId : '';
      for (const r of results) if (!r.acquired) expect(r.holder.executionId).to.equal(winner);
    });

    it('leases of different runs are independent', async () => {
      const leases = fx.current().leases;
      held(await leases.acquire(uuidv7(), 'exec-a', 1000, now));
      expect((await leases.acquire(uuidv7(), 'exec-b', 1000, now)).acquired).to.equal(true);
    });

    it('peek reads the lease as it stands (or null) and never takes it', async () => {
      const leases = fx.current().leases;
      const run = uuidv7();
      expect(await leases.peek(run)).to.equal(null);
      const a = held(await leases.acquire(run, 'exec-a', 1000, now));
      const seen = await leases.peek(run);
      expect(seen?.record).to.include({ executionId: 'exec-a', expiresAt: clock + 1000 });
      expect(seen?.holderAlive).to.equal(true);
      clock += 2000; // expired: peek still reports it, expiry is the reader's to judge
      expect((await leases.peek(run))?.record.executionId).to.equal('exec-a');
      expect(await a.renew()).to.equal(true);
      await a.release();
      expect(await leases.peek(run)).to.equal(null);
    });

    it('refuses a run id that is not one', async () => {
      await expectReject(fx.current().leases.acquire('../x', 'exec-a', 1000, now), InvalidKeyError);
    });
  });
}
