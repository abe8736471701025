/**
 * A realistic event log of any length, made through the Decider: executions
 * that die mid-attempt, retries, failures with errors, successes with
 * artifacts and token usage, and a few events of unknown future types.
 */
import { decide, type Command } from '../../shared/domain/decide.ts';
import { serializeEvent, type StoredEvent } from '../../shared/domain/events.ts';
import { evolve, initialState, type RunState } from '../../shared/domain/run-state.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';

export function makeLogLines(count: number): string[] {
  let ids = 0;
  let now = Date.parse('2026-11-27T10:00:00.000Z');
  const ctx = { get now() { return new Date(now).toISOString(); }, newId: () => `0193f1a2-${(++ids).toString(16).padStart(4, '0')}-7000-8000-${ids.toString(16).padStart(12, '0')}` };
  const lines: string[] = [];
  let state: RunState = initialState();
  const apply = (c: Command): void => {
    if (lines.length >= count) return;
    for (const e of decide(c, state, ctx)) {
      if (lines.length >= count) return;
      const stored = { ...e, seq: lines.length + 1 } as StoredEvent;
      state = evolve(state, stored);
      lines.push(serializeEvent(stored).slice(0, -1));
      now += 17;
    }
  };
  apply({
    type: 'CreateRun',
    data: {
      runId: '0193f1a2-0000-7000-8000-000000000000', tenant: 'acme', label: 'bench',
      params: { company: 'Acme Grid', focalQuestion: 'How will European grid operators fund the 2035 transition?', horizonYear: 2035, region: 'Europe' },
      signature: `sha256:${'ab'.repeat(32)}`, pipelineVersion: 'v1', appVersion: 'bench',
      nodes: SCENARIOFORGE_PIPELINE.nodes.map((n) => ({ id: n.id, deps: [...n.deps], maxAttempts: 3 })),
      llm: { provider: 'offline', model: 'offline', keySource: 'none', keyFingerprint: null },
    },
  });
  let exec = 0;
  while (lines.length < count) {
    const id = `exec-${++exec}`;
    // An execution that died is closed lost first, as the reconciler does, before the next is requested.
    if (exec > 1 && state.executions.at(-1)?.outcome === null) {
      apply({ type: 'FinishExecution', executionId: `exec-${exec - 1}`, outcome: 'lost', reason: 'its lease expired with no renewal' });
    }
    apply({ type: 'RequestExecution', executionId: id, reason: exec === 1 ? 'build' : 'resume' });
    apply({ type: 'StartExecution', executionId: id, taskAttempt: exec - 1 });
    // Walk the DAG; every node fails once with a retryable error, then succeeds.
    for (const node of SCENARIOFORGE_PIPELINE.nodes) {
      if (state.nodes[node.id]?.status === 'succeeded') continue;
      if (state.nodes[node.id]?.budgetUsed === 0) {
        apply({ type: 'StartAttempt', node: node.id, executionId: id });
        const first = state.nodes[node.id]?.lastAttempt?.n ?? 1;
        apply({ type: 'FailAttempt', node: node.id, attempt: first, durationMs: 1840, error: { code: 'model_unavailable', message: 'The model is overloaded. Please try again later.', retryable: true }, usage: { promptTokens: 812, outputTokens: 0 } });
      }
      apply({ type: 'StartAttempt', node: node.id, executionId: id });
      if (exec % 3 === 0 && node.id === 'uncertainties') break; // the execution dies: the next one abandons the attempt
      const attempt = state.nodes[node.id]?.lastAttempt?.n ?? 1;
      if (node.id === 'report') {
        // The report keeps failing for good: the run fails and an operator retries it.
        apply({ type: 'FailAttempt', node: node.id, attempt, durationMs: 35, error: { code: 'bad_request', message: 'Request contains an invalid argument.', retryable: false } });
        apply({ type: 'FailRun', node: node.id, reason: 'node report failed: bad_request' });
        apply({ type: 'RetryNode', node: node.id, by: 'operator@acme' });
        break;
      }
      apply({ type: 'SucceedAttempt', node: node.id, attempt, durationMs: 2210, artifacts: [{ name: `${node.id}.json`, sha256: 'f'.repeat(64), size: 2048, contentType: 'application/json' }], usage: { promptTokens: 1234, outputTokens: 987 } });
      if (lines.length >= count) break;
    }
    if (exec % 50 === 0 && lines.length < count) {
      lines.push(JSON.stringify({ v: 2, seq: lines.length + 1, id: `future-${exec}`, type: 'node.attempt.heartbeat', at: ctx.now, data: { node: 'drivers' } }));
    }
  }
  return lines;
}
