/**
 * The Pub/Sub publisher and the outbox through the real `@google-cloud/pubsub`
 * against Google's Pub/Sub emulator (DESIGN §6, §9): ordered delivery per run,
 * every attribute, failures (injected, a cut network, a missing topic) and a
 * process killed between commit and publish. Subscribers dedup by (runId, seq)
 * and must then see seq 1, 2, 3, … for each run: duplicates allowed, gaps never.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import { expect } from 'chai';
import { newEvent, type NewEvent, type StoredEvent } from '../../shared/domain/events.ts';
import { evolve, initialState, type RunStatus } from '../../shared/domain/run-state.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { PublishFailedError, type EventPublisher } from '../../shared/events-bus/event-publisher.ts';
import { getOutboxPublisher, readPublishCursor, type OutboxLogger } from '../../shared/run-log/outbox.ts';
import { eventAttributes, getPubSubPublisher, pubSubClientConfig } from '../../shared/events-bus/pubsub-publisher.ts';
import { getMemoryRunStore } from '../../shared/store/memory-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { isSkipped, startPubSubEmulator, type PubSubEmulator } from '../support/pubsub-emulator.ts';

const SOURCE = '//scenarioforge/job-runner';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A whole run (60 events): created, launched, every node failing once or twice then succeeding, completed. */
function runScript(runId: string, tenant: string): NewEvent[] {
  let clock = Date.parse('2026-11-27T10:00:00.000Z');
  const at = () => new Date((clock += 250)).toISOString();
  const executionId = randomUUID();
  const out: NewEvent[] = [
    newEvent(
      'run.created',
      {
        runId,
        tenant,
        label: 'grid funding',
        params: { question: 'How will European grid operators fund the 2035 transition?' },
        signature: `sha256:${'b'.repeat(64)}`,
        pipelineVersion: 'v1',
        appVersion: 'test',
        nodes: SCENARIOFORGE_PIPELINE.nodes.map((n) => ({ id: n.id, deps: [...n.deps], maxAttempts: 3 })),
        llm: { provider: 'offline', model: 'offline', keySource: 'none', keyFingerprint: null },
      },
      randomUUID(),
      at(),
    ),
    newEvent('execution.requested', { executionId, reason: 'build' }, randomUUID(), at()),
    newEvent('execution.launched', { executionId, backend: 'cloudrun', name: 'exec-1' }, randomUUID(), at()),
    newEvent('execution.started', { executionId }, randomUUID(), at()),
  ];
  SCENARIOFORGE_PIPELINE.nodes.forEach((n, i) => {
    const failures = i < 3 ? 2 : 1;
    for (let attempt = 1; attempt <= failures + 1; attempt++) {
      out.push(newEvent('node.attempt.started', { node: n.id, attempt, executionId }, randomUUID(), at()));
      out.push(
        attempt <= failures
          ? newEvent(
              'node.attempt.failed',
              {
                node: n.id,
                attempt,
                durationMs: 10,
                error: { code: 'model_unavailable', message: 'try again', retryable: true },
                willRetry: true,
              },
              randomUUID(),
              at(),
            )
          : newEvent('node.attempt.succeeded', { node: n.id, attempt, durationMs: 12, artifacts: [] }, randomUUID(), at()),
      );
    }
  });
  out.push(newEvent('execution.finished', { executionId, outcome: 'succeeded' }, randomUUID(), at()));
  out.push(newEvent('run.completed', {}, randomUUID(), at()));
  return out;
}

/** One run being committed to a store: appends the script in batches, remembers each event's advertised status. */
class RunFixture {
  readonly runId = randomUUID();
  readonly script: NewEvent[];
  readonly log: StoredEvent[] = [];
  /** The runStatus the outbox was told for each seq (status after the event's batch). */
  readonly statusBySeq = new Map<number, RunStatus>();
  readonly store: RunStore;
  readonly tenant: string;
  constructor(store: RunStore, tenant: string) {
    this.store = store;
    this.tenant = tenant;
    this.script = runScript(this.runId, tenant);
  }
  async commit(n: number): Promise<{ events: StoredEvent[]; status: RunStatus }> {
    const batch = this.script.slice(this.log.length, this.log.length + n);
    const { committed } = await this.store.append(this.runId, batch);
    this.log.push(...committed);
    const status = this.log.reduce(evolve, initialState()).status;
    for (const e of committed) this.statusBySeq.set(e.seq, status);
    return { events: committed, status };
  }
  /** The status right after each event (what a catch-up advertises). */
  foldedStatus(seq: number): RunStatus {
    return this.log.slice(0, seq).reduce(evolve, initialState()).status;
  }
}

interface Received {
  runId: string;
  seq: number;
  orderingKey: string;
  attributes: Record<string, string>;
  data: string;
}

/** A streaming-pull subscriber that acks everything and keeps what it saw, in arrival order. */
class Collector {
  readonly received: Received[] = [];
  private readonly subscription: Subscription;
  private constructor(subscription: Subscription) {
    this.subscription = subscription;
    subscription.on('message', (m: Message) => {
      this.received.push({
        runId: m.attributes.runId ?? '',
        seq: Number(m.attributes.seq),
        orderingKey: m.orderingKey ?? '',
        attributes: { ...m.attributes },
        data: m.data.toString('utf8'),
      });
      m.ack();
    });
    subscription.on('error', (err: unknown) => console.error('subscriber error:', err));
  }

  static async create(pubsub: PubSub, topicName: string): Promise<Collector> {
    const [topic] = await pubsub.createTopic(topicName);
    const [subscription] = await topic.createSubscription(`${topicName}-sub`, { enableMessageOrdering: true, ackDeadlineSeconds: 20 });
    return new Collector(subscription);
  }

  /** First arrival of each seq of a run, in arrival order. */
  firsts(runId: string): Received[] {
    const seen = new Set<number>();
    return this.received.filter((r) => r.runId === runId && !seen.has(r.seq) && seen.add(r.seq));
  }

  async waitFor(runId: string, count: number, timeoutMs = 20_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.firsts(runId).length < count) await sleep(50);
    return this.firsts(runId);
  }

  duplicates(runId: string): number {
    return this.received.filter((r) => r.runId === runId).length - this.firsts(runId).length;
  }

  close(): Promise<void> {
    return this.subscription.close();
  }
}

/** Dedup by (runId, seq), then the run's seqs must be exactly 1..count, strictly increasing. */
function expectNoGaps(firsts: readonly Received[], count: number): void {
  expect(firsts.map((r) => r.seq)).to.deep.equal(Array.from({ length: count }, (_, i) => i + 1));
}

/** A TCP relay between the client and the emulator that can be cut (connections reset, new ones refused). */
async function relay(targetPort: number): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  let open = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      open = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function recordingLogger(): OutboxLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (fields, message) => warnings.push(`${message} ${JSON.stringify(fields)}`) };
}

describe('Pub/Sub publisher + outbox (Pub/Sub emulator)', function () {
  this.timeout(120_000);
  let emulator: PubSubEmulator;
  let admin: PubSub;
  const cleanups: (() => Promise<void>)[] = [];

  before(async function () {
    const result = await startPubSubEmulator();
    if (isSkipped(result)) {
      console.log(`\n  ******** SKIPPED: Pub/Sub emulator tests — ${result.skipped} ********\n`);
      this.skip();
    }
    emulator = result;
    console.log(`      (Pub/Sub emulator on ${emulator.host}, started in ${emulator.startupMs} ms)`);
    admin = new PubSub(pubSubClientConfig(emulator.projectId, emulator.host));
  });

  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()?.();
  });

  after(async () => {
    await admin?.close();
    await emulator?.stop();
  });

  const topicName = (label: string) => `sf-${label}-${randomUUID().slice(0, 8)}`;

  function publisherFor(topic: string, extra: { apiEndpoint?: string; timeoutMs?: number } = {}) {
    const publisher = getPubSubPublisher({
      projectId: emulator.projectId,
      topic,
      source: SOURCE,
      apiEndpoint: extra.apiEndpoint ?? emulator.host,
      ...(extra.timeoutMs ? { timeoutMs: extra.timeoutMs } : {}),
    });
    cleanups.push(() => publisher.close());
    return publisher;
  }

  async function collector(topic: string): Promise<Collector> {
    const c = await Collector.create(admin, topic);
    cleanups.push(() => c.close());
    return c;
  }

  it('publishes a run’s 60 events through the outbox: all arrive, in order per run, with every attribute', async () => {
    const topic = topicName('order');
    const sub = await collector(topic);
    const publisher = publisherFor(topic);
    expect(publisher.kind).to.equal('pubsub');
    expect(publisher.topicName).to.equal(`projects/${emulator.projectId}/topics/${topic}`);
    const store = getMemoryRunStore();
    const a = new RunFixture(store, 'acme');
    const b = new RunFixture(store, 'globex');
    const outboxA = getOutboxPublisher({ store, publisher, runId: a.runId, tenant: a.tenant });
    const outboxB = getOutboxPublisher({ store, publisher, runId: b.runId, tenant: b.tenant });

    // Two runs commit and publish concurrently, in uneven batches, callers not awaiting each other.
    const sends: Promise<void>[] = [];
    const sizes = [1, 3, 2, 5, 9, 4, 7, 1, 8, 6, 10, 4];
    for (const n of sizes) {
      const ca = await a.commit(n);
      sends.push(outboxA.publishCommitted(ca.events, ca.status));
      const cb = await b.commit(Math.ceil(n / 2));
      sends.push(outboxB.publishCommitted(cb.events, cb.status));
    }
    await Promise.all(sends);
    await Promise.all([outboxA.flush(), outboxB.flush()]);
    expect(a.log).to.have.length(60);

    const firstsA = await sub.waitFor(a.runId, 60);
    const firstsB = await sub.waitFor(b.runId, b.log.length);
    expectNoGaps(firstsA, 60);
    expectNoGaps(firstsB, b.log.length);
    expect(outboxA.cursor()).to.equal(60);
    expect(await readPublishCursor(store, a.runId)).to.equal(60);

    for (const [run, firsts] of [
      [a, firstsA],
      [b, firstsB],
    ] as const) {
      for (const r of firsts) {
        const event = run.log[r.seq - 1] as StoredEvent;
        expect(r.orderingKey).to.equal(run.runId);
        expect(r.attributes).to.deep.equal({
          runId: run.runId,
          tenant: run.tenant,
          type: event.type,
          seq: String(event.seq),
          runStatus: run.statusBySeq.get(event.seq),
          'ce-specversion': '1.0',
          'ce-id': event.id,
          'ce-type': event.type,
          'ce-source': SOURCE,
          'ce-time': event.at,
          'ce-subject': run.runId,
          'content-type': 'application/json',
        });
        expect(JSON.parse(r.data)).to.deep.equal({ v: 1, seq: event.seq, id: event.id, type: event.type, at: event.at, data: event.data });
      }
    }
    expect(firstsA.at(-1)?.attributes.runStatus).to.equal('succeeded');
    console.log(`      (run A: 60 events, ${sub.duplicates(a.runId)} duplicate deliveries)`);
  });

  it('injected failures (before sending, and after sending with the ack lost): the outbox catches up with no gap', async () => {
    const topic = topicName('flaky');
    const sub = await collector(topic);
    const real = publisherFor(topic);
    const log = recordingLogger();
    // Fails calls 2, 4 and 5: call 2 before anything is sent, 4 and 5 after the messages went out.
    let call = 0;
    const flaky: EventPublisher = {
      kind: 'pubsub',
      async publish(ctx, events) {
        call++;
        if (call === 2) throw new PublishFailedError('injected: backend refused');
        await real.publish(ctx, events);
        if (call === 4 || call === 5) throw new PublishFailedError('injected: acknowledgement lost');
      },
      close: () => real.close(),
    };
    const store = getMemoryRunStore();
    const run = new RunFixture(store, 'acme');
    const outbox = getOutboxPublisher({ store, publisher: flaky, runId: run.runId, tenant: run.tenant, logger: log });
    for (let i = 0; i < 6; i++) {
      const c = await run.commit(10);
      await outbox.publishCommitted(c.events, c.status);
    }
    expect(log.warnings).to.have.length(3);
    await outbox.flush();
    expect(outbox.cursor()).to.equal(60);
    const firsts = await sub.waitFor(run.runId, 60);
    expectNoGaps(firsts, 60);
    expect(sub.duplicates(run.runId)).to.be.greaterThan(0); // the lost acks were re-sent
    expect(await readPublishCursor(store, run.runId)).to.equal(60);
  });

  it('a cut network: the real client’s publishes fail, and the outbox recovers with no gap once it is back', async () => {
    const topic = topicName('cut');
    const sub = await collector(topic);
    const net0 = await relay(Number(emulator.host.split(':')[1]));
    cleanups.push(() => net0.close());
    const publisher = publisherFor(topic, { apiEndpoint: `127.0.0.1:${net0.port}`, timeoutMs: 1500 });
    const log = recordingLogger();
    const store = getMemoryRunStore();
    const run = new RunFixture(store, 'acme');
    const outbox = getOutboxPublisher({ store, publisher, runId: run.runId, tenant: run.tenant, logger: log });

    const first = await run.commit(20);
    await outbox.publishCommitted(first.events, first.status);
    expect(outbox.cursor()).to.equal(20);

    net0.cut();
    const second = await run.commit(20);
    const t0 = Date.now();
    await outbox.publishCommitted(second.events, second.status); // resolves: the failure is logged, not thrown
    expect(log.warnings.length).to.be.greaterThan(0);
    expect(log.warnings[0]).to.match(/publishing failed/);
    expect(outbox.cursor()).to.equal(20);
    console.log(`      (publish failed after ${Date.now() - t0} ms with the network cut)`);

    net0.restore();
    const t1 = Date.now();
    const third = await run.commit(20);
    await outbox.publishCommitted(third.events, third.status);
    const deadline = Date.now() + 60_000;
    while (outbox.cursor() < 60 && Date.now() < deadline) {
      await sleep(250);
      await outbox.flush();
    }
    console.log(`      (all published ${Date.now() - t1} ms after the network came back)`);
    expect(outbox.cursor()).to.equal(60);
    const firsts = await sub.waitFor(run.runId, 60);
    expectNoGaps(firsts, 60);
    console.log(`      (recovered; ${log.warnings.length} failed attempt(s), ${sub.duplicates(run.runId)} duplicate deliveries)`);
  });

  it('a job killed between commit and publish: a fresh outbox’s catchUp publishes what the log holds past the cursor', async () => {
    const topic = topicName('kill');
    const sub = await collector(topic);
    const store = getMemoryRunStore();
    const run = new RunFixture(store, 'acme');

    // The first process publishes 25 events, then commits 35 more and dies before publishing them.
    const dying = publisherFor(topic);
    const before = getOutboxPublisher({ store, publisher: dying, runId: run.runId, tenant: run.tenant });
    const c1 = await run.commit(25);
    await before.publishCommitted(c1.events, c1.status);
    await before.flush();
    await run.commit(35);
    expect(await readPublishCursor(store, run.runId)).to.equal(25);
    await sub.waitFor(run.runId, 25);
    expect(sub.firsts(run.runId)).to.have.length(25);

    // The resumed execution: a new client, a new outbox; catchUp comes first.
    const resumed = getPubSubPublisher({ projectId: emulator.projectId, topic, source: SOURCE, apiEndpoint: emulator.host });
    cleanups.push(() => resumed.close());
    const after = getOutboxPublisher({ store, publisher: resumed, runId: run.runId, tenant: run.tenant });
    await after.catchUp();
    expect(after.cursor()).to.equal(60);
    await after.flush();
    expect(await readPublishCursor(store, run.runId)).to.equal(60);

    const firsts = await sub.waitFor(run.runId, 60);
    expectNoGaps(firsts, 60);
    // Caught-up events advertise the status the run had right after each of them.
    for (const r of firsts.slice(25)) expect(r.attributes.runStatus).to.equal(run.foldedStatus(r.seq));
    expect(firsts.at(-1)?.attributes.runStatus).to.equal('succeeded');
  });

  it('a failed ordered publish (topic missing) rejects, and the next publish for the same key goes through', async () => {
    const topic = topicName('resume');
    const store = getMemoryRunStore();
    const run = new RunFixture(store, 'acme');
    const c = await run.commit(3);
    const ctx = { runId: run.runId, tenant: run.tenant, runStatus: c.status };

    const publisher = publisherFor(topic);
    const err = await publisher.publish(ctx, c.events).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(PublishFailedError);
    expect((err as PublishFailedError).message).to.match(/NOT_FOUND|not found/i);
    expect((err as PublishFailedError).acknowledged).to.equal(0);

    const sub = await collector(topic); // creates the topic
    await publisher.publish(ctx, c.events);
    expectNoGaps(await sub.waitFor(run.runId, 3), 3);
  });

  it('honours PUBSUB_EMULATOR_HOST when no endpoint is given', async () => {
    const topic = topicName('env');
    const sub = await collector(topic);
    const saved = process.env.PUBSUB_EMULATOR_HOST;
    process.env.PUBSUB_EMULATOR_HOST = emulator.host;
    try {
      const publisher = getPubSubPublisher({ projectId: emulator.projectId, topic, source: SOURCE });
      cleanups.push(() => publisher.close());
      const store = getMemoryRunStore();
      const run = new RunFixture(store, 'acme');
      const c = await run.commit(2);
      await publisher.publish({ runId: run.runId, tenant: run.tenant, runStatus: c.status }, c.events);
      expectNoGaps(await sub.waitFor(run.runId, 2), 2);
    } finally {
      if (saved === undefined) delete process.env.PUBSUB_EMULATOR_HOST;
      else process.env.PUBSUB_EMULATOR_HOST = saved;
    }
  });
});

describe('Pub/Sub publisher message shape (no emulator needed)', () => {
  it('an upcast event without a time leaves ce-time out', () => {
    const attrs = eventAttributes(
      { runId: 'r', tenant: 't', runStatus: 'running' },
      { v: 2, seq: 9, id: 'e9', type: 'node.attempt.paused', at: '', data: {}, unknown: true },
      SOURCE,
    );
    expect(attrs).to.not.have.property('ce-time');
    expect(attrs).to.include({ type: 'node.attempt.paused', seq: '9', 'ce-type': 'node.attempt.paused', 'ce-id': 'e9' });
    for (const value of Object.values(attrs)) expect(value).to.be.a('string');
  });

  it('talks to an emulator without looking for Google credentials, and to Google normally', () => {
    expect(pubSubClientConfig('p', '127.0.0.1:8085')).to.deep.equal({
      projectId: 'p',
      apiEndpoint: '127.0.0.1:8085',
      emulatorMode: true,
      universeDomain: 'googleapis.com',
    });
    const saved = process.env.PUBSUB_EMULATOR_HOST;
    delete process.env.PUBSUB_EMULATOR_HOST;
    try {
      expect(pubSubClientConfig('p')).to.deep.equal({ projectId: 'p' });
      expect(pubSubClientConfig('p', 'europe-west1-pubsub.googleapis.com:443')).to.deep.equal({
        projectId: 'p',
        apiEndpoint: 'europe-west1-pubsub.googleapis.com:443',
      });
    } finally {
      if (saved !== undefined) process.env.PUBSUB_EMULATOR_HOST = saved;
    }
  });
});
