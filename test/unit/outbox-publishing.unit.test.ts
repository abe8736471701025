/**
 * The outbox over the in-memory store and the memory publisher: order, the
 * publish cursor, failures and recovery, catch-up after a crash, serialization.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { newEvent, type NewEvent, type StoredEvent } from '../../shared/domain/events.ts';
import { evolve, initialState, type RunStatus } from '../../shared/domain/run-state.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { getMemoryPublisher, getNoopPublisher, type MemoryPublisher } from '../../shared/events-bus/event-publisher.ts';
import { getOutboxPublisher, readPublishCursor, type OutboxLogger } from '../../shared/run-log/outbox.ts';
import { keys } from '../../shared/store/keys.ts';
import { getMemoryRunStore } from '../../shared/store/memory-run-store.ts';
import type { PublishCursors, RunStore } from '../../shared/store/run-store.ts';

const TENANT = 'acme';

/** A whole run's worth of events (60): created, launched, every node failing once or twice then succeeding, completed. */
function runScript(runId: string): NewEvent[] {
  let clock = Date.parse('2026-11-27T10:00:00.000Z');
  const at = () => new Date((clock += 250)).toISOString();
  const ev = <T extends Parameters<typeof newEvent>[0]>(type: T, data: Parameters<typeof newEvent<T>>[1]) =>
    newEvent(type, data, randomUUID(), at());
  const executionId = randomUUID();
  const out: NewEvent[] = [
    ev('run.created', {
      runId,
      tenant: TENANT,
      label: 'grid funding',
      params: { question: 'How will European grid operators fund the 2035 transition?' },
      signature: `sha256:${'a'.repeat(64)}`,
      pipelineVersion: 'v1',
      appVersion: 'test',
      nodes: SCENARIOFORGE_PIPELINE.nodes.map((n) => ({ id: n.id, deps: [...n.deps], maxAttempts: 3 })),
      llm: { provider: 'offline', model: 'offline', keySource: 'none', keyFingerprint: null },
    }),
    ev('execution.requested', { executionId, reason: 'build' }),
    ev('execution.launched', { executionId, backend: 'local', name: 'local-1' }),
    ev('execution.started', { executionId }),
  ];
  SCENARIOFORGE_PIPELINE.nodes.forEach((n, i) => {
    const failures = i < 3 ? 2 : 1;
    for (let attempt = 1; attempt <= failures + 1; attempt++) {
      out.push(ev('node.attempt.started', { node: n.id, attempt, executionId }));
      if (attempt <= failures) {
        out.push(
          ev('node.attempt.failed', {
            node: n.id,
            attempt,
            durationMs: 10,
            error: { code: 'model_unavailable', message: 'try again', retryable: true },
            willRetry: true,
          }),
        );
      } else {
        out.push(ev('node.attempt.succeeded', { node: n.id, attempt, durationMs: 12, artifacts: [] }));
      }
    }
  });
  out.push(ev('execution.finished', { executionId, outcome: 'succeeded' }));
  out.push(ev('run.completed', {}));
  return out;
}

function statusAfter(events: readonly StoredEvent[]): RunStatus {
  return events.reduce(evolve, initialState()).status;
}

interface Harness {
  store: ReturnType<typeof getMemoryRunStore>;
  publisher: MemoryPublisher;
  runId: string;
  script: NewEvent[];
  warnings: { fields: Record<string, unknown>; message: string }[];
  logger: OutboxLogger;
  /** Appends the next `n` scripted events; returns them as committed. */
  commit(n: number): Promise<StoredEvent[]>;
  storedCursor(): number | null;
  seqs(): number[];
}

function harness(): Harness {
  const store = getMemoryRunStore();
  const publisher = getMemoryPublisher();
  const runId = randomUUID();
  const script = runScript(runId);
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  let next = 0;
  return {
    store,
    publisher,
    runId,
    script,
    warnings,
    logger: { warn: (fields, message) => warnings.push({ fields, message }) },
    async commit(n) {
      const batch = script.slice(next, next + n);
      next += batch.length;
      return (await store.append(runId, batch)).committed;
    },
    storedCursor() {
      const obj = store.blobs.objects.get(keys.publishCursor(runId));
      return obj ? (JSON.parse(obj.bytes.toString('utf8')) as { seq: number }).seq : null;
    },
    seqs() {
      return publisher.published.filter((r) => r.ctx.runId === runId).map((r) => r.event.seq);
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('outbox (memory store, memory publisher)', () => {
  it('the scripted run has 60 events and ends succeeded', async () => {
    const h = harness();
    const committed = await h.commit(1000);
    expect(committed.map((e) => e.seq)).to.deep.equal(range(1, 60));
    expect(statusAfter(committed)).to.equal('succeeded');
  });

  it('publishes committed events in seq order, with the caller’s status, and stores the cursor', async () => {
    const h = harness();
    const outbox = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    const log: StoredEvent[] = [];
    for (const n of [1, 3, 7, 20, 29]) {
      const committed = await h.commit(n);
      log.push(...committed);
      await outbox.publishCommitted(committed, statusAfter(log));
    }
    await outbox.flush();
    expect(h.seqs()).to.deep.equal(range(1, 60));
    expect(h.publisher.calls.map((c) => c.ctx.runStatus)).to.deep.equal(['queued', 'running', 'running', 'running', 'succeeded']);
    for (const c of h.publisher.calls) expect(c.ctx).to.include({ runId: h.runId, tenant: TENANT });
    expect(outbox.cursor()).to.equal(60);
    expect(h.storedCursor()).to.equal(60);
    expect(await readPublishCursor(h.store, h.runId)).to.equal(60);
    expect(h.store.blobs.objects.get(keys.publishCursor(h.runId))?.contentType).to.equal('application/json');
  });

  it('ignores events it already published (an append retried after a lost response)', async () => {
    const h = harness();
    const outbox = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    const first = await h.commit(5);
    await outbox.publishCommitted(first, 'running');
    await outbox.publishCommitted(first, 'running');
    await outbox.publishCommitted(first.slice(2), 'running');
    expect(h.publisher.calls).to.have.length(1);
    expect(h.seqs()).to.deep.equal(range(1, 5));
  });

  it('a failure is logged, not thrown, and the next publishCommitted re-sends from the cursor', async () => {
    const h = harness();
    const outbox = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT, logger: h.logger });
    await outbox.publishCommitted(await h.commit(10), 'running');
    h.publisher.failNext(1);
    await outbox.publishCommitted(await h.commit(10), 'running'); // resolves despite the failure
    expect(h.warnings).to.have.length(1);
    expect(h.warnings[0]?.message).to.match(/publishing failed/);
    expect(h.warnings[0]?.fields).to.include({ runId: h.runId });
    expect(outbox.cursor()).to.equal(10);
    await outbox.flush();
    // flush retried the outstanding 11..20 too; so did nothing else.
    expect(h.seqs()).to.deep.equal(range(1, 20));
    await outbox.publishCommitted(await h.commit(5), 'running');
    expect(h.seqs()).to.deep.equal(range(1, 25));
    await outbox.flush();
    expect(h.storedCursor()).to.equal(25);
  });

  it('a failure retried by the next publishCommitted sends the missed events first, in one ordered stream', async () => {
    const h = harness();
    const outbox = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT, logger: h.logger });
    h.publisher.failNext(2);
    await outbox.publishCommitted(await h.commit(4), 'running');
    await outbox.publishCommitted(await h.commit(4), 'running');
    expect(h.seqs()).to.deep.equal([]);
    expect(h.storedCursor()).to.equal(null);
    await outbox.publishCommitted(await h.commit(4), 'running');
    expect(h.seqs()).to.deep.equal(range(1, 12));
    expect(h.publisher.calls.at(-1)?.seqs).to.deep.equal(range(1, 12));
  });

  it('delivery with lost acknowledgements gives duplicates, never gaps, and the cursor stays behind', async () => {
    const h = harness();
    const outbox = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT, logger: h.logger });
    await outbox.publishCommitted(await h.commit(10), 'running');
    h.publisher.failNext(1, { deliverFirst: 6 }); // 11..16 reach subscribers, the ack is lost
    await outbox.publishCommitted(await h.commit(10), 'running');
    expect(outbox.cursor()).to.equal(10);
    await outbox.flush();
    expect(h.storedCursor()).to.equal(20);
    expect(h.seqs()).to.deep.equal([...range(1, 16), ...range(11, 20)]);
    expect(h.publisher.delivered(h.runId).map((e) => e.seq)).to.deep.equal(range(1, 20));
  });

  it('a partly acknowledged failure advances the cursor exactly to the acknowledged prefix', async () => {
    const h = harness();
    const outbox = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    h.publisher.failNext(1, { deliverFirst: 7, acknowledged: 4 });
    await outbox.publishCommitted(await h.commit(10), 'running');
    expect(outbox.cursor()).to.equal(4);
    h.publisher.failNext(1);
    await outbox.flush(); // the retry fails, but the cursor for 1..4 is stored
    expect(h.storedCursor()).to.equal(4);
    await outbox.flush();
    expect(h.seqs()).to.deep.equal([...range(1, 7), ...range(5, 10)]);
    expect(h.storedCursor()).to.equal(10);
  });

  it('a process killed between commit and publish: a fresh outbox’s catchUp publishes the rest, with folded statuses', async () => {
    const h = harness();
    const first = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    await first.publishCommitted(await h.commit(3), 'queued');
    await first.flush();
    await h.commit(57); // committed, never published: the process died here
    expect(h.storedCursor()).to.equal(3);

    const resumedPublisher = getMemoryPublisher();
    const resumed = getOutboxPublisher({ store: h.store, publisher: resumedPublisher, runId: h.runId, tenant: TENANT });
    await resumed.catchUp();
    expect(resumedPublisher.published.map((r) => r.event.seq)).to.deep.equal(range(4, 60));
    // Each event carries the status the run had right after it.
    const statusOf = new Map(resumedPublisher.published.map((r) => [r.event.seq, r.ctx.runStatus]));
    expect(statusOf.get(4)).to.equal('running'); // execution.started
    expect(statusOf.get(59)).to.equal('running');
    expect(statusOf.get(60)).to.equal('succeeded'); // run.completed
    expect(resumed.cursor()).to.equal(60);
    await resumed.flush();
    expect(h.storedCursor()).to.equal(60);
    // Nothing left: a second catch-up sends nothing.
    await resumed.catchUp();
    expect(resumedPublisher.published).to.have.length(57);
  });

  it('catchUp(runStatus) uses the given status for what it reads from the log', async () => {
    const h = harness();
    await h.commit(8);
    const outbox = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    await outbox.catchUp('cancelled');
    expect(h.publisher.calls.map((c) => [c.ctx.runStatus, c.seqs.length])).to.deep.equal([['cancelled', 8]]);
  });

  it('a stale cursor only causes duplicates', async () => {
    const h = harness();
    const first = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    await first.publishCommitted(await h.commit(20), 'running');
    await first.flush();
    await h.store.blobs.put(keys.publishCursor(h.runId), JSON.stringify({ seq: 12 })); // a write that never landed
    const second = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    await second.publishCommitted(await h.commit(5), 'running');
    expect(h.seqs()).to.deep.equal([...range(1, 20), ...range(13, 25)]);
    expect(h.publisher.delivered(h.runId).map((e) => e.seq)).to.deep.equal(range(1, 25));
  });

  it('a corrupt cursor counts as none (everything is re-sent)', async () => {
    const h = harness();
    await h.commit(5);
    await h.store.blobs.put(keys.publishCursor(h.runId), 'not json');
    const outbox = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    await outbox.catchUp();
    expect(h.seqs()).to.deep.equal(range(1, 5));
  });

  it('events handed over after a hole are preceded by the missing ones, read from the log', async () => {
    const h = harness();
    await h.commit(20); // committed by someone else (the orchestrator), never handed to this outbox
    const outbox = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    await outbox.publishCommitted(await h.commit(5), 'running');
    expect(h.seqs()).to.deep.equal(range(1, 25));
  });

  it('publishes one call at a time per run, in order, however callers overlap', async () => {
    const h = harness();
    h.publisher.setLatency(5);
    const outbox = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 12; i++) sends.push(outbox.publishCommitted(await h.commit(5), 'running'));
    sends.push(outbox.catchUp(), outbox.flush());
    await Promise.all(sends);
    expect(h.publisher.maxConcurrentPerRun).to.equal(1);
    expect(h.seqs()).to.deep.equal(range(1, 60));
    expect(h.publisher.calls.length).to.be.lessThan(12); // callers waiting behind a publish share the next one
    const starts = h.publisher.calls.map((c) => c.seqs[0]);
    expect(starts).to.deep.equal([...starts].sort((a, b) => (a ?? 0) - (b ?? 0)));
  });

  it('a long backlog goes out in calls of at most maxBatch events, one stretch of equal status per call', async () => {
    const h = harness();
    await h.commit(60);
    const outbox = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT, maxBatch: 25 });
    await outbox.catchUp();
    expect(h.publisher.calls.map((c) => [c.ctx.runStatus, c.seqs[0], c.seqs.at(-1)])).to.deep.equal([
      ['queued', 1, 3],
      ['running', 4, 28],
      ['running', 29, 53],
      ['running', 54, 59],
      ['succeeded', 60, 60],
    ]);
  });

  it('drops a backlog beyond maxPending from memory and recovers it from the log', async () => {
    const h = harness();
    const outbox = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT, maxPending: 8 });
    h.publisher.failWhen(() => ({}));
    for (let i = 0; i < 6; i++) await outbox.publishCommitted(await h.commit(5), 'running');
    h.publisher.failWhen(null);
    await outbox.publishCommitted(await h.commit(5), 'running');
    expect(h.publisher.delivered(h.runId).map((e) => e.seq)).to.deep.equal(range(1, 35));
  });

  it('never rejects when the store fails, and works again once it recovers', async () => {
    const h = harness();
    await h.commit(10);
    let broken = true;
    const flaky: RunStore = {
      ...h.store,
      readLog: (runId, afterSeq) => (broken ? Promise.reject(new Error('store unavailable')) : h.store.readLog(runId, afterSeq)),
      cursors: {
        read: (runId) => (broken ? Promise.reject(new Error('store unavailable')) : h.store.cursors.read(runId)),
        advance: (runId, seq) => (broken ? Promise.reject(new Error('store unavailable')) : h.store.cursors.advance(runId, seq)),
      },
    };
    const outbox = getOutboxPublisher({ store: flaky, publisher: h.publisher, runId: h.runId, tenant: TENANT, logger: h.logger });
    await outbox.catchUp();
    await outbox.publishCommitted(await h.commit(2), 'running');
    await outbox.flush();
    expect(h.seqs()).to.deep.equal([]);
    expect(h.warnings.length).to.be.greaterThanOrEqual(3);
    broken = false;
    await outbox.catchUp();
    expect(h.seqs()).to.deep.equal(range(1, 12));
  });

  it('a cursor write that fails is logged and retried; the cursor never goes ahead of the publisher', async () => {
    const h = harness();
    let failPuts = 1;
    const cursors: PublishCursors = {
      read: (runId) => h.store.cursors.read(runId),
      advance: (runId, seq) => (failPuts-- > 0 ? Promise.reject(new Error('429')) : h.store.cursors.advance(runId, seq)),
    };
    const outbox = getOutboxPublisher({ store: { ...h.store, cursors }, publisher: h.publisher, runId: h.runId, tenant: TENANT, logger: h.logger });
    await outbox.publishCommitted(await h.commit(10), 'running');
    await outbox.flush();
    expect(h.warnings.some((w) => /cursor/.test(w.message))).to.equal(true);
    expect(h.storedCursor()).to.equal(10);
  });

  it('coalesces cursor writes when the store is slow, and honours the cursor interval', async () => {
    const h = harness();
    const slowCursors: PublishCursors = {
      read: (runId) => h.store.cursors.read(runId),
      advance: async (runId, seq) => {
        await new Promise((r) => setTimeout(r, 20));
        return h.store.cursors.advance(runId, seq);
      },
    };
    const outbox = getOutboxPublisher({ store: { ...h.store, cursors: slowCursors }, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    for (let i = 0; i < 20; i++) await outbox.publishCommitted(await h.commit(3), 'running');
    await outbox.flush();
    const writes = h.store.blobs.writes.get(keys.publishCursor(h.runId)) ?? 0;
    expect(writes).to.be.greaterThan(0).and.lessThan(20);
    expect(h.storedCursor()).to.equal(60);

    const h2 = harness();
    const paced = getOutboxPublisher({ store: h2.store, publisher: h2.publisher, runId: h2.runId, tenant: TENANT, cursorIntervalMs: 10_000 });
    for (let i = 0; i < 10; i++) await paced.publishCommitted(await h2.commit(6), 'running');
    expect(h2.store.blobs.writes.get(keys.publishCursor(h2.runId))).to.equal(1); // the first; the rest wait for the interval
    expect(h2.storedCursor()).to.equal(6);
    await paced.flush(); // does not wait for the interval
    expect(h2.storedCursor()).to.equal(60);
  });

  it('two outboxes of one run never move the stored cursor back', async () => {
    const h = harness();
    const slow = getMemoryPublisher();
    slow.setLatency(30);
    const behind = getOutboxPublisher({ store: h.store, publisher: slow, runId: h.runId, tenant: TENANT });
    const ahead = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    const first = await h.commit(10);
    const lagging = behind.publishCommitted(first, 'running'); // reads cursor 0, then publishes slowly
    await new Promise((r) => setTimeout(r, 5));
    await ahead.publishCommitted([...first, ...(await h.commit(20))], 'running');
    await ahead.flush();
    expect(h.storedCursor()).to.equal(30);
    await lagging;
    await behind.flush();
    expect(h.storedCursor()).to.equal(30);
  });

  it('with the no-op publisher (fan-out off) does nothing, cursor included, so turning fan-out on later starts at seq 1', async () => {
    const h = harness();
    const outbox = getOutboxPublisher({ store: h.store, publisher: getNoopPublisher(), runId: h.runId, tenant: TENANT });
    await outbox.publishCommitted(await h.commit(30), 'running');
    await outbox.catchUp();
    await outbox.flush();
    expect(outbox.cursor()).to.equal(0);
    expect(h.storedCursor()).to.equal(null);
    const on = getOutboxPublisher({ store: h.store, publisher: h.publisher, runId: h.runId, tenant: TENANT });
    await on.publishCommitted(await h.commit(5), 'running');
    expect(h.seqs()).to.deep.equal(range(1, 35));
  });

  it('the memory publisher records, fails on demand, and refuses after close', async () => {
    const p = getMemoryPublisher();
    const h = harness();
    const events = await h.commit(3);
    p.failNext(1, { deliverFirst: 2, acknowledged: 1 });
    const err: unknown = await p.publish({ runId: h.runId, tenant: TENANT, runStatus: 'running' }, events).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.have.property('acknowledged', 1);
    expect(p.published.map((r) => r.event.seq)).to.deep.equal([1, 2]);
    expect(p.calls.map((c) => c.outcome)).to.deep.equal(['failed']);
    await p.publish({ runId: h.runId, tenant: TENANT, runStatus: 'running' }, events);
    expect(p.delivered(h.runId).map((e) => e.seq)).to.deep.equal([1, 2, 3]);
    await p.close();
    expect(p.closed).to.equal(true);
    let refused = false;
    await p.publish({ runId: h.runId, tenant: TENANT, runStatus: 'running' }, events).catch(() => (refused = true));
    expect(refused).to.equal(true);
  });
});
