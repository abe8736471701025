/**
 * Faults for the Gemini stub at a given rate. The stub takes a script (one
 * step per call, in order); this feeder keeps a fresh script queued, a batch
 * at a time, and counts which faults were actually served: after each batch
 * the stub's recorded requests tell how many steps were consumed, and the
 * stub is reset (which also keeps its request log from growing for ever).
 */
import type { GeminiFault, GeminiStub, GeminiStubStep } from '../../test/support/gemini-stub.ts';
import type { Rng } from './rng.ts';

export type ModelFaultKind = GeminiFault['kind'];

/** The mix of faults, by weight; `bad_request` is terminal (the node fails, an operator retries it). */
export const MODEL_FAULT_MIX: Readonly<Partial<Record<ModelFaultKind, number>>> = {
  rate_limited: 30,
  unavailable: 22,
  server_error: 8,
  malformed_json: 20,
  max_tokens: 6,
  bad_request: 15,
  hang: 4,
};

export interface ModelFaultFeeder {
  /** Faults served so far, by kind. */
  readonly injected: Partial<Record<ModelFaultKind, number>>;
  /** Calls the stub answered so far (faulty or not). */
  readonly calls: number;
  /** Stops feeding; the stub answers normally from then on. Counts what was consumed. */
  stop(): void;
}

const BATCH = 300;

export function feedModelFaults(
  stub: GeminiStub,
  options: { rate: number; rng: Rng; key: string; everyMs?: number; latencyMs?: [number, number]; earlyTerminal?: number[] },
): ModelFaultFeeder {
  const injected: Partial<Record<ModelFaultKind, number>> = {};
  let calls = 0;
  let batch: GeminiStubStep[] = [];
  const [minLatency, maxLatency] = options.latencyMs ?? [5, 40];
  const kinds = Object.fromEntries(Object.entries(MODEL_FAULT_MIX)) as Record<ModelFaultKind, number>;

  const step = (): GeminiStubStep => {
    const latencyMs = minLatency + options.rng.int(Math.max(1, maxLatency - minLatency));
    if (!options.rng.chance(options.rate)) return { latencyMs };
    const kind = options.rng.weighted(kinds);
    // A short RetryInfo: the job honours it, and the soak has no 17 s to spare.
    const fault: GeminiFault = kind === 'rate_limited' ? { kind, retryDelay: '0.2s' } : ({ kind } as GeminiFault);
    return { latencyMs, fault };
  };

  const settle = (): void => {
    const consumed = stub.requests.filter((r) => r.method === 'POST' && r.model !== null && r.headers['x-goog-api-key'] === options.key).length;
    calls += consumed;
    for (const s of batch.slice(0, consumed)) if (s.fault) injected[s.fault.kind] = (injected[s.fault.kind] ?? 0) + 1;
    stub.reset();
  };

  let first = true;
  const refill = (): void => {
    settle();
    batch = Array.from({ length: BATCH }, step);
    // A terminal answer early on, whatever the rate: some run fails, so operator retries have work.
    if (first) for (const at of options.earlyTerminal ?? []) if (at < batch.length) batch[at] = { ...batch[at], fault: { kind: 'bad_request' } };
    first = false;
    stub.script(...batch);
  };

  refill();
  const timer = setInterval(refill, options.everyMs ?? 1000);
  timer.unref();
  return {
    injected,
    get calls() {
      return calls;
    },
    stop() {
      clearInterval(timer);
      settle();
      batch = [];
    },
  };
}
