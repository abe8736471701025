import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { getGroupCommitter } from '../../shared/run-log/group-commit.ts';
import { getMemoryRunStore } from '../../shared/store/memory-run-store.ts';
import { marker } from '../support/run-store-contract.ts';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('group committer', () => {
  it('coalesces a burst into few writes and keeps order', async () => {
    const store = getMemoryRunStore();
    const runId = uuidv7();
    const c = getGroupCommitter(store, runId, { intervalMs: 50 });
    const all = [];
    for (let i = 0; i < 100; i++) all.push(c.enqueue([marker('x', `e${i}`)]));
    await Promise.all(all);
    const log = await store.readLog(runId);
    expect(log.events.map((e) => e.id)).to.deep.equal(Array.from({ length: 100 }, (_, i) => `e${i}`));
    expect(c.stats.writes).to.be.at.most(2);
  });

  it('a reservation holds back everything decided after it until it is filled', async () => {
    const store = getMemoryRunStore();
    const runId = uuidv7();
    const c = getGroupCommitter(store, runId, { intervalMs: 0 });
    await c.enqueue([marker('x', 'before')]);
    const slot = c.reserve();
    const later = c.enqueue([marker('x', 'after')]);
    await tick(30);
    expect((await store.readLog(runId)).events.map((e) => e.id)).to.deep.equal(['before']);
    const filled = slot.fill([marker('x', 'reserved')]);
    await Promise.all([filled, later]);
    expect((await store.readLog(runId)).events.map((e) => e.id)).to.deep.equal(['before', 'reserved', 'after']);
  });

  it('flush waits for an unfilled reservation, and an empty fill gives the place up', async () => {
    const store = getMemoryRunStore();
    const runId = uuidv7();
    const c = getGroupCommitter(store, runId, { intervalMs: 1000 });
    const slot = c.reserve();
    void c.enqueue([marker('x', 'queued')]);
    let flushed = false;
    const flush = c.flush().then(() => (flushed = true));
    await tick(20);
    expect(flushed).to.equal(false);
    void slot.fill([]);
    await flush;
    expect((await store.readLog(runId)).events.map((e) => e.id)).to.deep.equal(['queued']);
  });

  it('retries a failed batch without losing or reordering events', async () => {
    const store = getMemoryRunStore();
    const runId = uuidv7();
    const realAppend = store.append;
    let failures = 2;
    const flaky = { ...store, append: (...args: Parameters<typeof realAppend>) => (failures-- > 0 ? Promise.reject(new Error('503')) : realAppend(...args)) };
    const errors: unknown[] = [];
    const c = getGroupCommitter(flaky, runId, { intervalMs: 0, onError: (e) => errors.push(e) });
    await Promise.all([c.enqueue([marker('x', 'a')]), c.enqueue([marker('x', 'b')])]);
    expect(errors).to.have.length(2);
    expect((await store.readLog(runId)).events.map((e) => e.id)).to.deep.equal(['a', 'b']);
  });
});
