/**
 * Property test of the outbox's promises under random commits, overlapping
 * callers, injected failures (lost acks, partial delivery, partial acks) and
 * process restarts: subscribers see no gaps (first deliveries are 1, 2, 3, …),
 * the stored cursor never runs ahead of what was delivered, and once the
 * publisher recovers, a catch-up delivers everything.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { newEvent, type NewEvent, type StoredEvent } from '../../shared/domain/events.ts';
import { getMemoryPublisher, type EventPublisher, type FailureSpec } from '../../shared/events-bus/event-publisher.ts';
import { getOutboxPublisher, type Outbox } from '../../shared/run-log/outbox.ts';
import { keys } from '../../shared/store/keys.ts';
import { getMemoryRunStore } from '../../shared/store/memory-run-store.ts';

type Step =
  | { kind: 'commit'; count: number; wait: boolean }
  | { kind: 'catchUp'; wait: boolean }
  | { kind: 'flush' }
  | { kind: 'restart'; catchUpFirst: boolean };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('commit' as const), count: fc.integer({ min: 1, max: 8 }), wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('catchUp' as const), wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), catchUpFirst: fc.boolean() }) },
);

const failureArb: fc.Arbitrary<FailureSpec | null> = fc.option(
  fc.record({ deliverFirst: fc.integer({ min: 0, max: 10 }), acknowledged: fc.integer({ min: 0, max: 10 }) }),
  { nil: null, freq: 2 },
);

function pendingEvents(count: number, from: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) =>
    newEvent('node.attempt.started', { node: `n${from + i}`, attempt: 1, executionId: 'x' }, randomUUID(), '2026-11-27T10:00:00.000Z'),
  );
}

describe('outbox invariants (property)', () => {
  it('no gaps, cursor never ahead of delivery, complete after recovery', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 40 }),
        fc.array(failureArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        async (steps, failures, maxBatch, slow) => {
          const store = getMemoryRunStore();
          const runId = randomUUID();
          const memory = getMemoryPublisher();
          if (slow) memory.setLatency(1);
          let call = 0;
          let failing = true;
          memory.failWhen(() => (failing ? (failures[call++ % failures.length] ?? null) : null));

          const storedCursor = (): number => {
            const obj = store.blobs.objects.get(keys.publishCursor(runId));
            return obj ? (JSON.parse(obj.bytes.toString('utf8')) as { seq: number }).seq : 0;
          };
          const violations: string[] = [];
          const check = (where: string): void => {
            const firsts = memory.delivered(runId).map((e) => e.seq);
            firsts.forEach((seq, i) => {
              if (seq !== i + 1) violations.push(`${where}: first deliveries ${firsts.join(',')} have a gap or reorder`);
            });
            const cursor = storedCursor();
            if (cursor > firsts.length) violations.push(`${where}: stored cursor ${cursor} ahead of delivered ${firsts.length}`);
          };
          const checking: EventPublisher = {
            kind: 'memory',
            async publish(ctx, events) {
              check('before publish');
              try {
                await memory.publish(ctx, events);
              } finally {
                check('after publish');
              }
            },
            close: () => memory.close(),
          };

          const make = (): Outbox => getOutboxPublisher({ store, publisher: checking, runId, tenant: 't1', maxBatch });
          let outbox = make();
          let inFlight: Promise<void>[] = [];
          let committed = 0;
          for (const step of steps) {
            if (step.kind === 'commit') {
              const result = await store.append(runId, pendingEvents(step.count, committed + 1));
              committed = result.lastSeq;
              const p = outbox.publishCommitted(result.committed, 'running');
              if (!step.wait) inFlight.push(p);
              else await p;
            } else if (step.kind === 'catchUp') {
              const p = outbox.catchUp();
              if (!step.wait) inFlight.push(p);
              else await p;
            } else if (step.kind === 'flush') {
              await outbox.flush();
            } else {
              // The process dies: what it had in flight settles (or not) on its own; a new one resumes.
              await Promise.all(inFlight);
              inFlight = [];
              outbox = make();
              // A resumed job catches up first; without it, the next commit must still fill the hole.
              if (step.catchUpFirst) await outbox.catchUp();
            }
            check(`after ${step.kind}`);
          }
          await Promise.all(inFlight);

          // The publisher recovers: one catch-up and a flush deliver everything and store the cursor.
          failing = false;
          await outbox.catchUp();
          await outbox.flush();
          check('end');
          expect(violations).to.deep.equal([]);
          expect(memory.delivered(runId).map((e: StoredEvent) => e.seq)).to.deep.equal(Array.from({ length: committed }, (_, i) => i + 1));
          expect(outbox.cursor()).to.equal(committed);
          expect(storedCursor()).to.equal(committed);
        },
      ),
      { numRuns: 150 },
    );
  });
});
