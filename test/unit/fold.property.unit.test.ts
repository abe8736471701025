import { expect } from 'chai';
import fc from 'fast-check';
import stableStringify from 'fast-json-stable-stringify';
import { v7 as uuidv7 } from 'uuid';
import { decide, DomainError, type Command } from '../../shared/domain/decide.ts';
import type { StoredEvent } from '../../shared/domain/events.ts';
import { evolve, project, readyNodes } from '../../shared/domain/run-state.ts';
import { getMemoryRunStore } from '../../shared/store/memory-run-store.ts';
import { serializeProjection } from '../../shared/store/run-store.ts';
import { createdData, sequenced, testContext } from '../support/decider.ts';

const choice = fc.record({
  kind: fc.integer({ min: 0, max: 12 }),
  pick: fc.nat(20),
  retryable: fc.boolean(),
});

/** A valid history: random intentions interpreted against the state, through `decide`. */
function historyFrom(choices: { kind: number; pick: number; retryable: boolean }[]): StoredEvent[] {
  const ctx = testContext();
  const h: StoredEvent[] = [];
  let executions = 0;
  const apply = (c: Command): void => {
    try {
      h.push(...sequenced(decide(c, project(h), ctx), h.length));
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
    }
    ctx.tick(37);
  };
  apply({ type: 'CreateRun', data: createdData() });
  apply({ type: 'RequestExecution', executionId: 'exec-0', reason: 'build' });
  apply({ type: 'StartExecution', executionId: 'exec-0' });
  for (const { kind, pick, retryable } of choices) {
    const s = project(h);
    const running = Object.entries(s.nodes).filter(([, n]) => n.status === 'running');
    const nth = <T>(xs: T[]): T | undefined => xs[pick % Math.max(1, xs.length)];
    const exec = s.executions[s.executions.length - 1]?.id ?? 'exec-0';
    if (kind <= 3) {
      const node = nth(readyNodes(s));
      if (node) apply({ type: 'StartAttempt', node, executionId: exec });
    } else if (kind <= 5) {
      const r = nth(running);
      if (r) apply({ type: 'SucceedAttempt', node: r[0], attempt: r[1].lastAttempt?.n ?? 0, durationMs: 3, artifacts: [], usage: { promptTokens: 10, outputTokens: 5 } });
    } else if (kind === 6) {
      const r = nth(running);
      if (r) apply({ type: 'FailAttempt', node: r[0], attempt: r[1].lastAttempt?.n ?? 0, durationMs: 3, error: { code: 'model_unavailable', message: '503', retryable } });
    } else if (kind === 7) {
      const id = `exec-${++executions}`;
      apply({ type: 'RequestExecution', executionId: id, reason: 'resume' });
      apply({ type: 'StartExecution', executionId: id });
    } else if (kind === 8) {
      const failed = Object.entries(s.nodes).filter(([, n]) => n.status === 'failed' || n.status === 'cancelled');
      const f = nth(failed);
      if (f) {
        apply({ type: 'FailRun', node: f[0], reason: 'exhausted' });
        apply({ type: 'RetryNode', node: f[0], by: 'operator' });
      }
    } else if (kind === 9) {
      apply({ type: 'CompleteRun' });
    } else if (kind === 10) {
      apply({ type: 'RequestCancel', by: 'operator' });
      if (pick % 2 === 0) apply({ type: 'ConfirmCancel' });
    } else if (kind === 11) {
      h.push({ v: 9, seq: h.length + 1, id: `future-${h.length}`, type: 'run.teleported', at: ctx.now, data: { anything: pick }, unknown: true });
    } else {
      const r = nth(running);
      if (r) apply({ type: 'CancelAttempt', node: r[0], attempt: r[1].lastAttempt?.n ?? 0, durationMs: 1 });
    }
  }
  return h;
}

const histories = fc.array(choice, { maxLength: 120 }).map(historyFrom);

describe('the fold (property tests)', () => {
  it('project(a ++ b) equals b.reduce(evolve, project(a))', () => {
    fc.assert(
      fc.property(histories, fc.nat(), (h, k) => {
        const split = k % (h.length + 1);
        const whole = project(h);
        const resumed = h.slice(split).reduce(evolve, project(h.slice(0, split)));
        expect(stableStringify(resumed)).to.equal(stableStringify(whole));
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic: the same lines give the same bytes', () => {
    fc.assert(
      fc.property(histories, (h) => {
        const copy = JSON.parse(JSON.stringify(h)) as StoredEvent[];
        expect(serializeProjection(project(copy))).to.equal(serializeProjection(project(h)));
      }),
      { numRuns: 100 },
    );
  });

  it('never throws, even on events out of their causal order', () => {
    fc.assert(
      fc.property(histories, fc.array(fc.nat(), { maxLength: 200 }), (h, order) => {
        const shuffled = h.slice();
        order.forEach((o, i) => {
          const j = o % Math.max(1, shuffled.length);
          const a = shuffled[i % Math.max(1, shuffled.length)];
          const b = shuffled[j];
          if (a && b) {
            shuffled[j] = a;
            shuffled[i % shuffled.length] = b;
          }
        });
        const renumbered = shuffled.map((e, i) => ({ ...e, seq: i + 1 }) as StoredEvent);
        expect(() => project(renumbered)).to.not.throw();
      }),
      { numRuns: 100 },
    );
  });

  it('keeps progress, attempts and usage consistent with the log', () => {
    fc.assert(
      fc.property(histories, (h) => {
        const s = project(h);
        const succeeded = Object.values(s.nodes).filter((n) => n.status === 'succeeded').length;
        expect(s.progress).to.deep.equal({ done: succeeded, total: 12 });
        const started = h.filter((e) => e.type === 'node.attempt.started').length;
        expect(Object.values(s.nodes).reduce((n, x) => n + x.attempts, 0)).to.equal(started);
        const usage = h.filter((e) => e.type === 'node.attempt.succeeded').length * 10;
        expect(s.usage.promptTokens).to.equal(usage);
        expect(s.lastSeq).to.equal(h.length);
      }),
      { numRuns: 100 },
    );
  });

  it('run.json written by the store equals the stable-stringified fold of the stored log', async () => {
    await fc.assert(
      fc.asyncProperty(histories, async (h) => {
        const store = getMemoryRunStore();
        const runId = uuidv7();
        for (let i = 0; i < h.length; i += 7) await store.append(runId, h.slice(i, i + 7));
        const log = await store.readLog(runId);
        await store.writeProjection(runId, project(log.events));
        const stored = (await store.readProjection(runId))?.toString() ?? '';
        const fold = stableStringify(project((await store.readLog(runId)).events));
        expect(stored === fold || h.length === 0).to.equal(true);
      }),
      { numRuns: 60 },
    );
  });
});
