/**
 * One contract for every RunStore adapter: `describeRunStore(name, factory)`.
 * Each adapter's test file calls it with a factory that makes a fresh store.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { newEvent, serializeEvent, type PendingEvent } from '../../shared/domain/events.ts';
import { initialState, project } from '../../shared/domain/run-state.ts';
import { GenerationMismatchError } from '../../shared/store/event-log.ts';
import { InvalidKeyError } from '../../shared/store/keys.ts';
import { serializeProjection, type RunStore } from '../../shared/store/run-store.ts';

export interface StoreFixture {
  store: RunStore;
  cleanup(): Promise<void>;
}

let counter = 0;
export const marker = (by: string, id = `evt-${++counter}-${Math.random().toString(36).slice(2)}`): PendingEvent =>
  newEvent('run.deleted', { by }, id, '2026-11-27T10:00:00.000Z');

export const HOSTILE_RUN_IDS = [
  '..',
  '../etc',
  '../../etc/passwd',
  '/etc/passwd',
  '%2e%2e',
  '%2e%2e%2fetc',
  'a/b',
  '0190c1a8-0000-7000-8000-000000000000/../x',
  '0190c1a8-0000-7000-8000-00000000000\0',
  '',
];

export const HOSTILE_ARTIFACT_NAMES = ['..', '../run.json', '../../events.jsonl', '/etc/passwd', '%2e%2e', 'a/b', 'x\0.json', '.hidden', 'a..b', ''];

export function describeRunStore(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`RunStore contract: ${name}`, function () {
    let fx: StoreFixture;
    let store: RunStore;
    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
    });
    afterEach(async () => fx.cleanup());

    it('appends with contiguous seqs and reads from a seq', async () => {
      const run = uuidv7();
      const first = await store.append(run, [marker('a'), marker('b')]);
      expect(first.committed.map((e) => e.seq)).to.deep.equal([1, 2]);
      await store.append(run, [marker('c')]);
      const all = await store.readLog(run);
      expect(all.events.map((e) => e.seq)).to.deep.equal([1, 2, 3]);
      expect(all.lastSeq).to.equal(3);
      const tail = await store.readLog(run, 2);
      expect(tail.events.map((e) => e.seq)).to.deep.equal([3]);
      expect((await store.logHead(run))?.lastSeq).to.equal(3);
    });

    it('reads an absent log as empty', async () => {
      const log = await store.readLog(uuidv7());
      expect(log).to.deep.equal({ events: [], lastSeq: 0, generation: null });
      expect(await store.logHead(uuidv7())).to.equal(null);
    });

    it('treats an event whose id is already logged as a no-op', async () => {
      const run = uuidv7();
      const e = marker('a', 'same-id');
      await store.append(run, [e]);
      const again = await store.append(run, [e, marker('b')]);
      expect(again.written).to.equal(1);
      expect(again.committed.map((x) => x.seq)).to.deep.equal([1, 2]);
      expect((await store.readLog(run)).events.map((x) => x.id)).to.have.length(2);
    });

    it('honours expected generations', async () => {
      const run = uuidv7();
      const created = await store.append(run, [marker('a')], { expectedGeneration: null });
      await expectReject(store.append(run, [marker('b')], { expectedGeneration: null }), GenerationMismatchError);
      const second = await store.append(run, [marker('b')], { expectedGeneration: created.generation });
      await expectReject(store.append(run, [marker('c')], { expectedGeneration: created.generation }), GenerationMismatchError);
      await store.append(run, [marker('c')], { expectedGeneration: second.generation });
      expect((await store.readLog(run)).lastSeq).to.equal(3);
    });

    it('keeps concurrent appends contiguous and complete', async () => {
      const run = uuidv7();
      const writers = Array.from({ length: 8 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 25; i++) await store.append(run, [marker(`w${w}`, `w${w}-${i}`)]);
        })(),
      );
      await Promise.all(writers);
      const log = await store.readLog(run);
      expect(log.events.map((e) => e.seq)).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(new Set(log.events.map((e) => e.id)).size).to.equal(200);
    });

    it('keeps events of unknown types', async () => {
      const run = uuidv7();
      const future = { v: 2, id: 'future-1', type: 'node.attempt.teleported', at: '2026-11-27T10:00:00.000Z', data: { x: 1 } };
      await store.append(run, [marker('a'), future]);
      const log = await store.readLog(run);
      expect(log.events[1]?.type).to.equal('node.attempt.teleported');
      expect(project(log.events).lastSeq).to.equal(2);
    });

    it('writes a projection that never goes backwards', async () => {
      const run = uuidv7();
      expect(await store.readProjection(run)).to.equal(null);
      const later = { ...initialState(), runId: run, lastSeq: 5 };
      await store.writeProjection(run, later);
      await store.writeProjection(run, { ...later, lastSeq: 3 });
      expect((await store.readProjection(run))?.toString()).to.equal(serializeProjection(later));
    });

    it('stores, lists and serves artifacts', async () => {
      const run = uuidv7();
      const ref = await store.putArtifact(run, 'drivers.json', '{"a":1}', 'application/json');
      expect(ref).to.include({ name: 'drivers.json', size: 7 });
      expect(ref.sha256).to.match(/^[0-9a-f]{64}$/);
      await store.putArtifact(run, 'scenario-matrix.svg', '<svg/>', 'image/svg+xml');
      expect((await store.listArtifacts(run)).sort()).to.deep.equal(['drivers.json', 'scenario-matrix.svg']);
      const got = await store.getArtifact(run, 'scenario-matrix.svg');
      expect(got?.body.toString()).to.equal('<svg/>');
      expect(got?.contentType).to.match(/^image\/svg\+xml/);
      expect(await store.getArtifact(run, 'missing.json')).to.equal(null);
    });

    it('creates a claim once and moves it only under its generation', async () => {
      const sig = `sha256:${'a'.repeat(64)}`;
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

    it('lists a tenant’s runs newest first, page by page', async () => {
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

    it('refuses run ids and artifact names that could escape the run', async () => {
      for (const bad of HOSTILE_RUN_IDS) {
        await expectReject(store.append(bad, [marker('x')]), InvalidKeyError);
        await expectReject(store.readLog(bad), InvalidKeyError);
        await expectReject(store.getArtifact(bad, 'report.md'), InvalidKeyError);
      }
      const run = uuidv7();
      for (const bad of HOSTILE_ARTIFACT_NAMES) {
        await expectReject(store.putArtifact(run, bad, 'x', 'text/plain'), InvalidKeyError);
        await expectReject(store.getArtifact(run, bad), InvalidKeyError);
      }
      expect(await store.listArtifacts(run)).to.deep.equal([]);
    });

    it('serialises events as one JSON line each', async () => {
      const run = uuidv7();
      const { committed } = await store.append(run, [marker('a')]);
      const line = serializeEvent(committed[0]!);
      expect(line.endsWith('\n')).to.equal(true);
      expect(JSON.parse(line)).to.include({ seq: 1, type: 'run.deleted' });
    });
  });
}

export async function expectReject(p: Promise<unknown>, type: abstract new (...args: never[]) => Error): Promise<Error> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(type);
    return err as Error;
  }
  throw new Error(`expected a ${type.name}`);
}
