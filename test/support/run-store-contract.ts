/**
 * One contract for every RunStore adapter: `describeRunStore(name, factory)`.
 * Each adapter's test file calls it with a factory that makes a fresh store.
 * Besides the log and artifacts here, it runs the contract suite of each
 * smaller part of the port: projection, claims, listing index, lease, publish cursor.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { newEvent, serializeEvent, type PendingEvent } from '../../shared/domain/events.ts';
import { project } from '../../shared/domain/run-state.ts';
import { FencedAppendError, GenerationMismatchError } from '../../shared/store/event-log.ts';
import { InvalidKeyError } from '../../shared/store/keys.ts';
import { ArtifactConflictError, type RunStore } from '../../shared/store/run-store.ts';
import { describeClaims } from './claim-contract.ts';
import { describeCursors } from './cursor-contract.ts';
import { describeActiveRuns } from './active-runs-contract.ts';
import { describeRunIndex } from './index-contract.ts';
import { describeLeases } from './lease-contract.ts';
import { describeProjections } from './projection-contract.ts';
import { expectReject, type StoreFactory, type StoreFixture } from './store-fixture.ts';

export { expectReject, type StoreFixture } from './store-fixture.ts';

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

export function describeRunStore(name: string, factory: StoreFactory): void {
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

    it('fences an execution: its appends are refused once it finished or another execution started', async () => {
      const run = uuidv7();
      const at = '2026-11-27T10:00:00.000Z';
      const started = (e: string) => newEvent('execution.started', { executionId: e }, `start-${e}-${++counter}`, at);
      const e1 = { fence: { executionId: 'e1' } };
      await expectReject(store.append(run, [marker('before any start')], e1), FencedAppendError);
      await store.append(run, [started('e1')]);
      await store.append(run, [marker('by e1')], e1);
      await expectReject(store.append(run, [marker('by e2 too early')], { fence: { executionId: 'e2' } }), FencedAppendError);
      const retried = marker('e1, written before the takeover');
      await store.append(run, [retried], e1);
      await store.append(run, [started('e2')]);
      const err = await expectReject(store.append(run, [marker('by e1 after the takeover')], e1), FencedAppendError);
      expect(err.message).to.match(/execution e2 started after it/);
      // A retry of what was written before is no write at all, so it is not refused.
      expect((await store.append(run, [retried], e1)).written).to.equal(0);
      await store.append(run, [marker('by e2')], { fence: { executionId: 'e2' } });
      await store.append(run, [newEvent('execution.finished', { executionId: 'e2', outcome: 'lost' }, `fin-${++counter}`, at)]);
      await expectReject(store.append(run, [marker('by e2 after it was lost')], { fence: { executionId: 'e2' } }), FencedAppendError);
      const log = await store.readLog(run);
      expect(log.events.map((e) => (e.type === 'run.deleted' ? (e.data as { by: string }).by : e.type))).to.deep.equal([
        'execution.started', 'by e1', 'e1, written before the takeover', 'execution.started', 'by e2', 'execution.finished',
      ]);
    });

    it('decides a fence on the log as it stands at the write, not as this process last read it', async () => {
      const twin = fx.twin;
      const run = uuidv7();
      const at = '2026-11-27T10:00:00.000Z';
      await store.append(run, [newEvent('execution.started', { executionId: 'e1' }, `s1-${++counter}`, at)]);
      await store.append(run, [marker('by e1')], { fence: { executionId: 'e1' } });
      // Another process starts e2; this one has not read the log since.
      await twin().append(run, [newEvent('execution.started', { executionId: 'e2' }, `s2-${++counter}`, at)]);
      await expectReject(store.append(run, [marker('stale e1')], { fence: { executionId: 'e1' } }), FencedAppendError);
      expect((await twin().readLog(run)).lastSeq).to.equal(3);
    });

    it('guards artifact writes: create-only, replaced only while the writer may, identical bytes accepted', async () => {
      const run = uuidv7();
      let holds = true;
      const guarded = { replaceOnlyIf: async () => holds };
      await store.putArtifact(run, 'a.json', '{"v":1}', 'application/json', guarded);
      await store.putArtifact(run, 'a.json', '{"v":1}', 'application/json', { replaceOnlyIf: async () => false });
      await store.putArtifact(run, 'a.json', '{"v":2}', 'application/json', guarded);
      expect((await store.getArtifact(run, 'a.json'))?.body.toString()).to.equal('{"v":2}');
      holds = false;
      await expectReject(store.putArtifact(run, 'a.json', '{"v":3}', 'application/json', guarded), ArtifactConflictError);
      expect((await store.getArtifact(run, 'a.json'))?.body.toString()).to.equal('{"v":2}');
      // Rewritten by someone else between the read and the replace: refused, theirs kept.
      const racing = { replaceOnlyIf: async () => (await store.putArtifact(run, 'a.json', '{"v":"theirs"}', 'application/json'), true) };
      await expectReject(store.putArtifact(run, 'a.json', '{"v":4}', 'application/json', racing), ArtifactConflictError);
      expect((await store.getArtifact(run, 'a.json'))?.body.toString()).to.equal('{"v":"theirs"}');
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

    it('serves the raw log bytes exactly as stored, and null for an absent log', async () => {
      const run = uuidv7();
      expect(await store.readRawLog(run)).to.equal(null);
      const { committed } = await store.append(run, [marker('a'), marker('b')]);
      expect((await store.readRawLog(run))?.toString('utf8')).to.equal(committed.map(serializeEvent).join(''));
      await expectReject(store.readRawLog('../x'), InvalidKeyError);
    });

    it('serialises events as one JSON line each', async () => {
      const run = uuidv7();
      const { committed } = await store.append(run, [marker('a')]);
      const line = serializeEvent(committed[0]!);
      expect(line.endsWith('\n')).to.equal(true);
      expect(JSON.parse(line)).to.include({ seq: 1, type: 'run.deleted' });
    });
  });

  describeProjections(name, factory);
  describeClaims(name, factory);
  describeRunIndex(name, factory);
  describeActiveRuns(name, factory);
  describeLeases(name, factory);
  describeCursors(name, factory);
}
