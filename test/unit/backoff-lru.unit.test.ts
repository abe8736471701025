import { expect } from 'chai';
import { fullJitterMs } from '../../shared/backoff.ts';
import { BoundedLru } from '../../shared/bounded-lru.ts';

describe('full-jitter backoff', () => {
  const policy = { baseMs: 100, maxMs: 1000 };
  it('is uniform below the capped exponential step', () => {
    expect(fullJitterMs(1, policy, () => 0.999)).to.equal(99);
    expect(fullJitterMs(3, policy, () => 0.5)).to.equal(200);
    expect(fullJitterMs(20, policy, () => 0.999)).to.equal(999);
    expect(fullJitterMs(4, policy, () => 0)).to.equal(0);
  });
  it('treats retry 0 like the first retry and never overflows', () => {
    expect(fullJitterMs(0, policy, () => 0.5)).to.equal(50);
    expect(fullJitterMs(10_000, policy, () => 0.5)).to.equal(500);
  });
});

describe('bounded LRU', () => {
  it('evicts the least recently used entry past maxEntries', () => {
    const lru = new BoundedLru<string, number>({ maxEntries: 2 });
    lru.set('a', 1).set('b', 2);
    expect(lru.get('a')).to.equal(1); // a is now the freshest
    lru.set('c', 3);
    expect([...lru.keys()]).to.deep.equal(['a', 'c']);
    expect(lru.get('b')).to.equal(undefined);
  });
  it('evicts by weight but always keeps the newest entry', () => {
    const lru = new BoundedLru<string, string>({ maxEntries: 10, maxWeight: 5, weigh: (v) => v.length });
    lru.set('a', 'xx').set('b', 'yy');
    expect(lru.weight).to.equal(4);
    lru.set('c', 'zzz');
    expect([...lru.keys()]).to.deep.equal(['b', 'c']);
    expect(lru.weight).to.equal(5);
    lru.set('d', 'a very long value');
    expect([...lru.keys()]).to.deep.equal(['d']);
    lru.delete('d');
    expect(lru.weight).to.equal(0);
  });
});
