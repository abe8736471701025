/**
 * Given/when/then for the Decider and for the scheduler (`nextStep`), and a
 * generator of valid event histories (random commands run through `decide`,
 * illegal ones dropped) for property tests.
 */
import { expect } from 'chai';
import { decide, DomainError, type Command, type DecideContext } from '../../shared/domain/decide.ts';
import type { NewEvent, RunCreatedData, StoredEvent } from '../../shared/domain/events.ts';
import { nextStep, type NextStep, type SchedulePolicy } from '../../shared/domain/next-step.ts';
import { project, type RunState } from '../../shared/domain/run-state.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';

export const RUN_ID = '0190c1a8-0000-7000-8000-000000000001';

let ids = 0;

export function testContext(start = Date.parse('2026-11-27T10:00:00.000Z')): DecideContext & { tick(ms?: number): void } {
  let now = start;
  return {
    get now() {
      return new Date(now).toISOString();
    },
    newId: () => `id-${++ids}`,
    tick(ms = 1000) {
      now += ms;
    },
  };
}

export function createdData(overrides: Partial<RunCreatedData> = {}): RunCreatedData {
  return {
    runId: RUN_ID,
    tenant: 'acme',
    label: 'Grid 2035',
    params: { company: 'Acme Grid', focalQuestion: 'How will grid operators fund 2035?', horizonYear: 2035 },
    signature: `sha256:${'0'.repeat(64)}`,
    pipelineVersion: 'v1',
    appVersion: 'test',
    nodes: SCENARIOFORGE_PIPELINE.nodes.map((n) => ({ id: n.id, deps: [...n.deps], maxAttempts: 3 })),
    llm: { provider: 'offline', model: 'offline', keySource: 'none', keyFingerprint: null },
    ...overrides,
  };
}

/** Gives sequence numbers to new events, continuing after `from`. */
export function sequenced(events: NewEvent[], from: number): StoredEvent[] {
  return events.map((e, i) => ({ ...e, seq: from + i + 1 }) as StoredEvent);
}

/** Applies commands one after another; returns the whole history. */
export function run(commands: Command[], ctx = testContext()): StoredEvent[] {
  const history: StoredEvent[] = [];
  for (const c of commands) {
    const state = project(history);
    history.push(...sequenced(decide(c, state, ctx), history.length));
  }
  return history;
}

export function given(history: StoredEvent[]) {
  const state: RunState = project(history);
  return {
    state,
    when(command: Command, ctx = testContext()) {
      let events: NewEvent[] = [];
      let error: unknown = null;
      try {
        events = decide(command, state, ctx);
      } catch (err) {
        error = err;
      }
      return {
        thenTypes(...types: string[]) {
          if (error) throw error;
          expect(events.map((e) => e.type)).to.deep.equal(types);
          return events;
        },
        thenState(): RunState {
          if (error) throw error;
          return project(sequenced(events, history.length), state);
        },
        thenRefused(code: 'not_found' | 'conflict' | 'invalid', message?: RegExp) {
          expect(error, 'expected the command to be refused').to.be.instanceOf(DomainError);
          expect((error as DomainError).code).to.equal(code);
          if (message) expect((error as DomainError).message).to.match(message);
        },
      };
    },
  };
}

/** Runs the pipeline to completion through the Decider, attempt by attempt. */
export function succeedAll(history: StoredEvent[], executionId: string, ctx = testContext()): StoredEvent[] {
  const out = history.slice();
  const step = (c: Command) => out.push(...sequenced(decide(c, project(out), ctx), out.length));
  for (;;) {
    const state = project(out);
    const ready = Object.entries(state.nodes).filter(
      ([, n]) => n.status === 'pending' && n.deps.every((d) => state.nodes[d]?.status === 'succeeded'),
    );
    if (ready.length === 0) break;
    for (const [id] of ready) {
      step({ type: 'StartAttempt', node: id, executionId });
      const attempt = project(out).nodes[id]?.lastAttempt?.n ?? 1;
      step({ type: 'SucceedAttempt', node: id, attempt, durationMs: 5, artifacts: [] });
    }
  }
  return out;
}

/** The history after one more command (throws what `decide` throws). */
export function step(history: StoredEvent[], command: Command, ctx = testContext()): StoredEvent[] {
  return [...history, ...sequenced(decide(command, project(history), ctx), history.length)];
}

/** The scheduler's clock in its tests: any fixed value will do, times are relative to it. */
export const NOW = 1_000_000;

export const TEST_POLICY: SchedulePolicy = { concurrency: 2, retry: { baseDelayMs: 1000, maxDelayMs: 30_000 } };

/** What the execution holds beside the log: attempts it runs, nodes it keeps in backoff. */
export interface ExecutionGiven {
  inflight?: string[];
  notBefore?: Record<string, number>;
  blocked?: string;
  now?: number;
  concurrency?: number;
  /** When the attempts in flight started (default NOW - 10). */
  startedAt?: Record<string, number>;
  /** The run's deadline on the scheduler's clock. */
  deadline?: { at: number; seconds: number };
}

/** Given a history, when the execution holds this, then the scheduler's next step is… */
export function givenRun(history: StoredEvent[]) {
  const state = project(history);
  return {
    state,
    when(execution: ExecutionGiven = {}) {
      // Attempt numbers and start times as the runner would hold them.
      const inflight = new Map(
        (execution.inflight ?? []).map((id) => [id, { attempt: state.nodes[id]?.lastAttempt?.n ?? 1, startedAt: execution.startedAt?.[id] ?? NOW - 10 }]),
      );
      const notBefore = new Map(Object.entries(execution.notBefore ?? {}));
      const policy = { ...TEST_POLICY, concurrency: execution.concurrency ?? TEST_POLICY.concurrency };
      const blocked = execution.blocked !== undefined ? { blocked: execution.blocked } : {};
      const deadline = execution.deadline ? { deadline: execution.deadline } : {};
      const next = nextStep(state, execution.now ?? NOW, policy, { inflight, notBefore, ...blocked, ...deadline });
      return {
        then(expected: NextStep): NextStep {
          expect(next).to.deep.equal(expected);
          return next;
        },
      };
    },
  };
}
