/**
 * The lease's host-local liveness rule, with a fake host: a holder on this
 * host whose process is gone counts as expired at once; a holder elsewhere
 * (whose pid means nothing here), or a live one, does not.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { keys } from '../../shared/store/keys.ts';
import { getLeaseStore, thisHost, type LeaseHost } from '../../shared/store/lease-store.ts';
import { getMemoryBlobStore } from '../../shared/store/memory-blob-store.ts';

const T0 = 1_000_000;
const now = () => T0;

function host(name: string, pid: number, dead: readonly number[] = []): LeaseHost {
  return { host: name, pid, alive: (p) => !dead.includes(p) };
}

describe('lease liveness on this host', () => {
  it('a holder on this host whose process died is taken over before its expiry', async () => {
    const blobs = getMemoryBlobStore();
    const run = uuidv7();
    expect((await getLeaseStore(blobs, host('box', 101)).acquire(run, 'exec-a', 60_000, now)).acquired).to.equal(true);
    const taken = await getLeaseStore(blobs, host('box', 202, [101])).acquire(run, 'exec-b', 60_000, now);
    expect(taken.acquired).to.equal(true);
    if (taken.acquired) expect(taken.lease.record).to.deep.equal({ executionId: 'exec-b', host: 'box', pid: 202, expiresAt: T0 + 60_000 });
  });

  it('a live holder on this host, or any holder on another host, keeps its lease until it expires', async () => {
    const blobs = getMemoryBlobStore();
    const run = uuidv7();
    await getLeaseStore(blobs, host('box', 101)).acquire(run, 'exec-a', 60_000, now);
    expect((await getLeaseStore(blobs, host('box', 202)).acquire(run, 'exec-b', 60_000, now)).acquired).to.equal(false);
    // pid 101 is dead here, but the holder runs on another machine.
    expect((await getLeaseStore(blobs, host('other-box', 202, [101])).acquire(run, 'exec-b', 60_000, now)).acquired).to.equal(false);
  });

  it('another execution in this very process (worker mode) is alive by definition', async () => {
    const blobs = getMemoryBlobStore();
    const run = uuidv7();
    await getLeaseStore(blobs, host('box', 101, [101])).acquire(run, 'exec-a', 60_000, now);
    expect((await getLeaseStore(blobs, host('box', 101, [101])).acquire(run, 'exec-b', 60_000, now)).acquired).to.equal(false);
  });

  it('peek tells a dead holder on this host from a live one or one elsewhere, and writes nothing', async () => {
    const blobs = getMemoryBlobStore();
    const run = uuidv7();
    await getLeaseStore(blobs, host('box', 101)).acquire(run, 'exec-a', 60_000, now);
    const before = await blobs.get(keys.lease(run));
    expect(await getLeaseStore(blobs, host('box', 202, [101])).peek(run)).to.deep.equal({
      record: { executionId: 'exec-a', host: 'box', pid: 101, expiresAt: T0 + 60_000 }, holderAlive: false,
    });
    expect((await getLeaseStore(blobs, host('box', 202)).peek(run))?.holderAlive).to.equal(true);
    expect((await getLeaseStore(blobs, host('other-box', 202, [101])).peek(run))?.holderAlive).to.equal(true);
    expect((await blobs.get(keys.lease(run)))?.generation).to.equal(before?.generation);
    await blobs.put(keys.lease(run), 'not json');
    expect(await getLeaseStore(blobs, host('box', 202)).peek(run)).to.equal(null);
  });

  it('a lease that cannot be read protects nothing', async () => {
    const blobs = getMemoryBlobStore();
    const run = uuidv7();
    await blobs.put(keys.lease(run), 'not json');
    expect((await getLeaseStore(blobs, host('box', 101)).acquire(run, 'exec-a', 60_000, now)).acquired).to.equal(true);
  });

  it('the real host: this process is alive, a finished child is not', async () => {
    const { spawnSync } = await import('node:child_process');
    const child = spawnSync(process.execPath, ['-e', '']);
    const here = thisHost();
    expect(here.pid).to.equal(process.pid);
    expect(here.alive(process.pid)).to.equal(true);
    expect(here.alive(child.pid as number)).to.equal(false);
  });
});
