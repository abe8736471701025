/**
 * The dedup-claim contract, run against every adapter: created only when
 * absent, moved only under the generation it was read at, released only
 * while it still points at the run releasing it.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { InvalidKeyError } from '../../shared/store/keys.ts';
import { expectReject, freshStore, type StoreFactory } from './store-fixture.ts';

const SIG = `sha256:${'a'.repeat(64)}`;

export function describeClaims(name: string, factory: StoreFactory): void {
  describe(`claim contract: ${name}`, function () {
    const fx = freshStore(factory);

    it('creates a claim once and moves it only under its generation', async () => {
      const store = fx.current();
      const sig = SIG;
      const [r1, r2, r3] = [uuidv7(), uuidv7(), uuidv7()];
      expect(await store.readClaim('acme', sig)).to.equal(null);
      const results = await Promise.all(Array.from({ length: 10 }, () => store.createClaim('acme', sig, r1)));
      expect(results.filter(Boolean)).to.have.length(1);
      expect(await store.createClaim('acme', sig, r2)).to.equal(false);
      const claim = await store.readClaim('acme', sig);
      expect(claim?.runId).to.equal(r1);
      expect(await store.replaceClaim('acme', sig, r2, claim?.generation ?? '')).to.equal(true);
      expect(await store.replaceClaim('acme', sig, r3, claim?.generation ?? '')).to.equal(false);
      await store.releaseClaim('acme', sig, r1);
      expect((await store.readClaim('acme', sig))?.runId).to.equal(r2);
      await store.releaseClaim('acme', sig, r2);
      expect(await store.readClaim('acme', sig)).to.equal(null);
    });

    it('of racing replacements under one generation, exactly one wins', async () => {
      const store = fx.current();
      const first = uuidv7();
      await store.createClaim('acme', SIG, first);
      const claim = await store.readClaim('acme', SIG);
      const contenders = Array.from({ length: 6 }, () => uuidv7());
      const results = await Promise.all(contenders.map((r) => store.replaceClaim('acme', SIG, r, claim?.generation ?? '')));
      expect(results.filter(Boolean)).to.have.length(1);
      expect((await store.readClaim('acme', SIG))?.runId).to.equal(contenders[results.indexOf(true)]);
    });

    it('a released claim can be created again; claims are per tenant and per signature', async () => {
      const store = fx.current();
      const [r1, r2] = [uuidv7(), uuidv7()];
      expect(await store.createClaim('acme', SIG, r1)).to.equal(true);
      expect(await store.createClaim('globex', SIG, r2)).to.equal(true);
      expect(await store.createClaim('acme', `sha256:${'b'.repeat(64)}`, r2)).to.equal(true);
      await store.releaseClaim('acme', SIG, r1);
      expect((await store.readClaim('globex', SIG))?.runId).to.equal(r2);
      expect(await store.createClaim('acme', SIG, r2)).to.equal(true);
      expect((await store.readClaim('acme', SIG))?.runId).to.equal(r2);
    });

    it('refuses tenants and signatures that are not ones', async () => {
      const store = fx.current();
      await expectReject(store.readClaim('../acme', SIG), InvalidKeyError);
      await expectReject(store.createClaim('acme', 'sha256:../../x', uuidv7()), InvalidKeyError);
    });
  });
}
