/** What every store contract suite is handed: a fresh store per test, and how to clean up after it. */
import { expect } from 'chai';
import type { RunStore } from '../../shared/store/run-store.ts';

export interface StoreFixture {
  store: RunStore;
  cleanup(): Promise<void>;
  /** Another store over the same backend, with caches of its own, as another process would open it. */
  twin: () => RunStore;
}

export type StoreFactory = () => Promise<StoreFixture>;

/** Runs mocha hooks that give each test of the calling suite a fresh store; read `current()` inside a test. */
export function freshStore(factory: StoreFactory): { current(): RunStore } {
  let fx: StoreFixture | null = null;
  beforeEach(async () => {
    fx = await factory();
  });
  afterEach(async () => {
    await fx?.cleanup();
    fx = null;
  });
  return {
    current() {
      if (!fx) throw new Error('no store outside a test');
      return fx.store;
    },
  };
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
