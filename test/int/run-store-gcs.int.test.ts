import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { newEvent } from '../../shared/domain/events.ts';
import { getGcsRunStore } from '../../shared/store/gcs-run-store.ts';
import { getGroupCommitter } from '../../shared/run-log/group-commit.ts';
import { startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator.ts';
import { describeRunStore } from '../support/run-store-contract.ts';

let emulator: GcsEmulator;
let bucketN = 0;

before(async () => {
  emulator = await startGcsEmulator();
});
after(async () => emulator.stop());

describeRunStore('GCS via the emulator', async () => {
  const open = (bucket: string) => () => getGcsRunStore({ bucket, prefix: 'sf', apiEndpoint: emulator.url, projectId: 'test' });
  const twin = open(`contract-${++bucketN}`);
  return { store: twin(), cleanup: async () => {}, twin };
});

describe('group commit against the one-write-per-second limit', function () {
  this.timeout(60_000);

  it('200 events/s for 10 s: nothing lost, no 429 surfaced, at most 12 object writes', async () => {
    emulator.setWriteRateLimit(1);
    try {
      const store = getGcsRunStore({ bucket: 'group-commit', prefix: 'sf', apiEndpoint: emulator.url, projectId: 'test' });
      const runId = uuidv7();
      const errors: unknown[] = [];
      const committer = getGroupCommitter(store, runId, { onError: (e) => errors.push(e) });
      const durable: Promise<unknown>[] = [];
      const start = Date.now();
      let sent = 0;
      // 200 events per second, in ticks of 10 ms, for 10 s.
      while (Date.now() - start < 10_000) {
        const due = Math.floor(((Date.now() - start) / 1000) * 200);
        const batch = [];
        for (; sent < due; sent++) batch.push(newEvent('run.deleted', { by: `e${sent}` }, `evt-${sent}`, new Date().toISOString()));
        if (batch.length) durable.push(committer.enqueue(batch));
        await new Promise((r) => setTimeout(r, 10));
      }
      await committer.flush();
      await Promise.all(durable);
      const log = await store.readLog(runId);
      expect(log.events.map((e) => e.seq)).to.deep.equal(Array.from({ length: sent }, (_, i) => i + 1));
      expect(log.events.map((e) => e.id)).to.deep.equal(Array.from({ length: sent }, (_, i) => `evt-${i}`));
      expect(errors, 'no append error reached the caller').to.deep.equal([]);
      const writes = [...emulator.stats.writes.entries()].filter(([name]) => name.endsWith(`${runId}/events.jsonl`)).map(([, n]) => n);
      expect(sent).to.be.greaterThan(1900);
      expect(writes[0]).to.be.at.most(12);
      console.log(`      ${sent} events in ${writes[0]} object writes; ${emulator.stats.rateLimited} writes met the limit inside the store`);
    } finally {
      emulator.setWriteRateLimit(null);
    }
  });
});
