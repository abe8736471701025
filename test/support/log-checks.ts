/** The invariants every log must keep, checked the same way by every test that ends a run. */
import { expect } from 'chai';
import stableStringify from 'fast-json-stable-stringify';
import type { StoredEvent } from '../../shared/domain/events.ts';
import { project } from '../../shared/domain/run-state.ts';
import type { RunStore } from '../../shared/store/run-store.ts';

/** Invariants every finished log must keep. */
export async function checkLog(store: RunStore, runId: string): Promise<StoredEvent[]> {
  const { events } = await store.readLog(runId);
  expect(events.map((e) => e.seq)).to.deep.equal(events.map((_, i) => i + 1));
  expect(new Set(events.map((e) => e.id)).size).to.equal(events.length);
  const projection = (await store.readProjection(runId))?.toString();
  expect(projection, 'run.json equals the fold of the log').to.equal(stableStringify(project(events)));
  return events;
}

