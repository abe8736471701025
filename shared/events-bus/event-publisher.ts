/**
 * The EventPublisher port: committed events fan out to subscribers (DESIGN §6).
 * Adapters: Pub/Sub (`pubsub-publisher.ts`), none, and an in-memory recorder
 * for tests. Publishers know nothing of cursors or retries; the outbox
 * (`outbox.ts`) decides what to send, in which order, and what to do on failure.
 */
import type { StoredEvent } from '../domain/events.ts';
import type { RunStatus } from '../domain/run-state.ts';

export interface PublishContext {
  runId: string;
  tenant: string;
  /** The run's status to advertise with these events (the `runStatus` attribute). */
  runStatus: RunStatus;
}

export interface EventPublisher {
  readonly kind: 'pubsub' | 'none' | 'memory';
  /**
   * Publishes committed events in order; resolves when the backend acknowledged
   * them; rejects on failure (callers decide; a failure must never fail a run).
   * A rejected call may still have delivered a prefix of the events.
   * Calls for one run must not overlap (the outbox serializes them).
   */
  publish(ctx: PublishContext, events: readonly StoredEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Thrown (as a rejection) when a backend did not acknowledge a publish. */
export class PublishFailedError extends Error {
  override readonly name = 'PublishFailedError';
  /**
   * How many of the call's first events the backend is known to have accepted
   * (a contiguous prefix; 0 when unknown). The rest may or may not have gone out.
   */
  readonly acknowledged: number;
  constructor(message: string, options: { cause?: unknown; acknowledged?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.acknowledged = options.acknowledged ?? 0;
  }
}

/** `PUBSUB_TOPIC` empty: progress fan-out is off; every publish succeeds at once. */
export function getNoopPublisher(): EventPublisher {
  return {
    kind: 'none',
    async publish() {},
    async close() {},
  };
}

export interface PublishedRecord {
  ctx: PublishContext;
  event: StoredEvent;
}

export interface PublishCall {
  ctx: PublishContext;
  seqs: number[];
  outcome: 'ok' | 'failed';
}

export interface FailureSpec {
  /** Deliver (record) this many of the call's events before failing; default 0. */
  deliverFirst?: number;
  /** Report this many of the delivered ones as acknowledged (`PublishFailedError.acknowledged`); default 0: the acks were lost. */
  acknowledged?: number;
  error?: Error;
}

export interface MemoryPublisher extends EventPublisher {
  readonly kind: 'memory';
  /** Every event delivered, in delivery order, duplicates included (what a subscriber would see). */
  readonly published: PublishedRecord[];
  /** Every call, in order, with its outcome. */
  readonly calls: PublishCall[];
  /** Most calls that were ever in flight at once for one run (1 when callers serialize). */
  readonly maxConcurrentPerRun: number;
  /** The next `count` calls fail (after delivering `deliverFirst` events each). */
  failNext(count?: number, spec?: FailureSpec): void;
  /** Decides per call: return a FailureSpec to fail it, or null/undefined to let it through. Null clears. */
  failWhen(rule: ((ctx: PublishContext, events: readonly StoredEvent[], callIndex: number) => FailureSpec | null | undefined) | null): void;
  /** Each call waits this long before delivering (lets tests overlap calls). */
  setLatency(ms: number): void;
  /** Delivered events of one run, deduplicated by seq (first delivery wins), in delivery order. */
  delivered(runId: string): StoredEvent[];
  reset(): void;
  readonly closed: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Records what it is asked to publish; can be told to fail. For tests and the in-process demo. */
export function getMemoryPublisher(): MemoryPublisher {
  const published: PublishedRecord[] = [];
  const calls: PublishCall[] = [];
  const inFlight = new Map<string, number>();
  let maxConcurrentPerRun = 0;
  let failures: FailureSpec[] = [];
  let rule: ((ctx: PublishContext, events: readonly StoredEvent[], callIndex: number) => FailureSpec | null | undefined) | null = null;
  let latencyMs = 0;
  let closed = false;

  return {
    kind: 'memory',
    published,
    calls,
    get maxConcurrentPerRun() {
      return maxConcurrentPerRun;
    },
    get closed() {
      return closed;
    },

    async publish(ctx, events) {
      if (closed) throw new PublishFailedError('publisher is closed');
      const callIndex = calls.length;
      const call: PublishCall = { ctx: { ...ctx }, seqs: events.map((e) => e.seq), outcome: 'ok' };
      calls.push(call);
      const running = (inFlight.get(ctx.runId) ?? 0) + 1;
      inFlight.set(ctx.runId, running);
      maxConcurrentPerRun = Math.max(maxConcurrentPerRun, running);
      try {
        if (latencyMs > 0) await sleep(latencyMs);
        const failure = failures.shift() ?? rule?.(ctx, events, callIndex) ?? null;
        const deliver = failure ? Math.max(0, Math.min(events.length, failure.deliverFirst ?? 0)) : events.length;
        for (const event of events.slice(0, deliver)) published.push({ ctx: { ...ctx }, event });
        if (failure) {
          call.outcome = 'failed';
          const acknowledged = Math.max(0, Math.min(deliver, failure.acknowledged ?? 0));
          throw failure.error ?? new PublishFailedError(`injected failure (call ${callIndex})`, { acknowledged });
        }
      } finally {
        inFlight.set(ctx.runId, (inFlight.get(ctx.runId) ?? 1) - 1);
      }
    },

    async close() {
      closed = true;
    },

    failNext(count = 1, spec = {}) {
      for (let i = 0; i < count; i++) failures.push(spec);
    },

    failWhen(next) {
      rule = next;
    },

    setLatency(ms) {
      latencyMs = ms;
    },

    delivered(runId) {
      const seen = new Set<number>();
      const out: StoredEvent[] = [];
      for (const r of published) {
        if (r.ctx.runId !== runId || seen.has(r.event.seq)) continue;
        seen.add(r.event.seq);
        out.push(r.event);
      }
      return out;
    },

    reset() {
      published.length = 0;
      calls.length = 0;
      failures = [];
      rule = null;
      latencyMs = 0;
      maxConcurrentPerRun = 0;
      closed = false;
    },
  };
}
