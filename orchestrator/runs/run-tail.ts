/**
 * Live tails of run logs, for SSE. One poller per run however many clients
 * watch it: every interval it asks the store for the log head (cheap: a stat
 * on disk, a metadata read on GCS), reads only the events after the last one
 * it holds, and hands each subscriber what it has not been sent yet. A
 * subscriber ends once the run is settled (terminal with its executions
 * closed, or deleted) and it has been sent everything.
 */
import type { StoredEvent } from '../../shared/domain/events.ts';
import { isSettled } from '../../shared/domain/run-checks.ts';
import { initialState, isTerminal, project, type RunState } from '../../shared/domain/run-state.ts';
import { ensureError, type Logger } from '../../shared/logger.ts';
import type { RunStore } from '../../shared/store/run-store.ts';

export interface TailSubscriber {
  /** Events in seq order, each exactly once, starting after the subscriber's `after`. */
  send(events: readonly StoredEvent[]): void;
  /** Everything was sent and nothing more is coming. */
  end(state: RunState): void;
}

export interface RunTails {
  /** Starts sending `runId`'s events after seq `after`; returns the unsubscribe function. */
  subscribe(runId: string, after: number, subscriber: TailSubscriber): () => void;
  /** Runs being tailed now (for tests and metrics). */
  readonly active: number;
  close(): void;
}

export interface RunTailOptions {
  intervalMs: number;
  logger: Logger;
  /** A terminal run whose execution never reports its end is closed after this long; default 5 s. */
  settleGraceMs?: number;
}

interface Subscription {
  sent: number;
  subscriber: TailSubscriber;
}

interface Tail {
  events: StoredEvent[];
  state: RunState;
  subs: Set<Subscription>;
  timer: NodeJS.Timeout | null;
  polling: boolean;
  terminalSince: number | null;
  failures: number;
}

export function getRunTails(store: RunStore, options: RunTailOptions): RunTails {
  const tails = new Map<string, Tail>();
  const settleGraceMs = options.settleGraceMs ?? 5_000;
  let closed = false;

  const deliver = (runId: string, tail: Tail): void => {
    const last = tail.state.lastSeq;
    const settled = isSettled(tail.state)
      || (tail.terminalSince !== null && Date.now() - tail.terminalSince >= settleGraceMs);
    for (const sub of [...tail.subs]) {
      if (sub.sent < last) {
        // events[i] has seq i + 1: the log is contiguous from 1.
        const batch = tail.events.slice(sub.sent);
        sub.sent = last;
        sub.subscriber.send(batch);
      }
      if (settled && tail.subs.has(sub)) {
        tail.subs.delete(sub);
        sub.subscriber.end(tail.state);
      }
    }
    if (tail.subs.size === 0) stop(runId, tail);
  };

  const stop = (runId: string, tail: Tail): void => {
    if (tail.timer) clearTimeout(tail.timer);
    tail.timer = null;
    if (tails.get(runId) === tail) tails.delete(runId);
  };

  const poll = async (runId: string, tail: Tail): Promise<void> => {
    tail.polling = true;
    try {
      const head = await store.logHead(runId);
      if (head && head.lastSeq > tail.state.lastSeq) {
        const snap = await store.readLog(runId, tail.state.lastSeq);
        const fresh: StoredEvent[] = [];
        for (const e of snap.events) {
          if (e.seq !== tail.events.length + 1) continue;
          tail.events.push(e);
          fresh.push(e);
        }
        tail.state = project(fresh, tail.state);
      }
      tail.failures = 0;
    } catch (err) {
      tail.failures++;
      if (tail.failures === 1 || tail.failures % 20 === 0) {
        options.logger.warn({ runId, failures: tail.failures, err: ensureError(err).message }, 'live tail: reading the log failed; retrying');
      }
    } finally {
      tail.polling = false;
    }
    if (isTerminal(tail.state.status)) tail.terminalSince ??= Date.now();
    else tail.terminalSince = null;
    deliver(runId, tail);
  };

  const schedule = (runId: string, tail: Tail, delay: number): void => {
    if (closed || tail.subs.size === 0 || tail.timer || tails.get(runId) !== tail) return;
    tail.timer = setTimeout(() => {
      tail.timer = null;
      void poll(runId, tail).finally(() => schedule(runId, tail, options.intervalMs));
    }, delay);
  };

  return {
    subscribe(runId, after, subscriber) {
      let tail = tails.get(runId);
      const fresh = !tail;
      if (!tail) {
        tail = { events: [], state: initialState(), subs: new Set(), timer: null, polling: false, terminalSince: null, failures: 0 };
        tails.set(runId, tail);
      }
      const sub: Subscription = { sent: Math.max(0, after), subscriber };
      tail.subs.add(sub);
      const t = tail;
      // A new tail reads at once; a joiner is caught up from memory at once and waits for the next poll.
      if (fresh) schedule(runId, t, 0);
      else if (!t.polling && t.state.lastSeq > 0) queueMicrotask(() => t.subs.has(sub) && deliver(runId, t));
      return () => {
        t.subs.delete(sub);
        if (t.subs.size === 0) stop(runId, t);
      };
    },
    get active() {
      return tails.size;
    },
    close() {
      closed = true;
      for (const [runId, tail] of tails) stop(runId, tail);
    },
  };
}
