/**
 * Is anyone working on this run? Answered from run.json and the clock alone,
 * for the run page's status line and the console's "stalled" badge. Pure (no
 * DOM, no fetch): `test/unit/liveness.unit.test.ts` imports it as it is.
 *
 * The rules mirror the reconciler's (shared/domain/reconcile.ts), so the page
 * says what the orchestrator is about to do:
 * - an execution that started holds a lease it renews with each heartbeat;
 *   once `leaseExpiresAt` is past, nobody is renewing it: stalled, and the
 *   reconciler will close it as lost and recover with a new execution while
 *   the budget (`RUN_MAX_EXECUTIONS`) allows;
 * - an execution requested but not started for longer than `startGraceMs`
 *   is stalled too (the reconciler launches it again);
 * - the budget counts executions since the last operator retry or resume,
 *   exactly as `executionsUsed` does (the unit test holds the two together).
 */

/** How long an execution may take to start before the page calls it stalled. */
export const START_GRACE_MS = 60_000;

export const DEFAULT_MAX_EXECUTIONS = 3;

/** Words for `failure.code`. */
export const FAILURE_CODE_TEXT = {
  node_failed: 'a step failed',
  executions_exhausted: 'executions exhausted',
  deadline: 'deadline passed',
  invalid_params: 'invalid parameters',
};

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

/** 10:42:07 in the reader's time zone; '—' for a missing or bad instant. */
export function formatClock(iso) {
  const t = Date.parse(iso ?? '');
  return Number.isNaN(t) ? '—' : clock.format(new Date(t));
}

/** "4 s ago", "3 min ago", "2 h ago" (never "just now": a heartbeat's age is the point). */
export function ago(iso, now) {
  const t = Date.parse(iso ?? '');
  if (Number.isNaN(t)) return '—';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 90) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min ago`;
  return `${Math.round(m / 60)} h ago`;
}

/** Executions used since the last operator retry or resume (which grant a fresh budget); the newest counts. */
export function executionsUsed(run) {
  const executions = run.executions ?? [];
  let used = 0;
  for (let i = executions.length - 1; i >= 0; i--) {
    used++;
    if (executions[i].reason === 'retry' || executions[i].reason === 'resume') break;
  }
  return used;
}

/** The execution that has not finished, started or not (the newest wins). */
export function unfinishedExecution(run) {
  const executions = run.executions ?? [];
  for (let i = executions.length - 1; i >= 0; i--) if (executions[i].outcome === null || executions[i].outcome === undefined) return executions[i];
  return null;
}

/** The failure in words: `{code, label, reason, node}`, or null when the run did not fail. */
export function failureSummary(run) {
  if (run.status !== 'failed' || !run.failure) return null;
  const code = run.failure.code ?? (run.failure.node ? 'node_failed' : 'invalid_params');
  return { code, label: FAILURE_CODE_TEXT[code] ?? String(code).replace(/_/g, ' '), reason: String(run.failure.reason ?? '').trim(), node: run.failure.node ?? null };
}

/** What happens after a stall: the next execution within the budget, or none left. */
function afterStall(used, max) {
  return used < max ? `recovering (execution ${used + 1} of ${max})` : `no executions left (${used} of ${max} used): the run will be stopped`;
}

/** The run is live but nobody has asked for an execution: the reconciler requests one after its grace period. */
function withoutExecution(run, now, used, max, grace) {
  const since = run.updatedAt;
  if (now - Date.parse(since) <= grace) return { state: 'starting', text: 'waiting for an execution', since, execution: null };
  return { state: 'stalled', text: `Stalled since ${formatClock(since)} — no execution is running; ${afterStall(used, max)}`, since, execution: null };
}

function notStarted(open, now, used, max, grace) {
  const since = open.launchedAt ?? open.requestedAt;
  const execution = { n: used, of: max };
  if (now - Date.parse(since) > grace) {
    return { state: 'stalled', text: `Stalled since ${formatClock(since)} — execution ${used} of ${max} has not started; launching it again`, since, execution };
  }
  if (open.reason === 'recover') {
    return { state: 'recovering', text: `Recovering — execution ${used} of ${max} requested at ${formatClock(open.requestedAt)}, starting`, since, execution };
  }
  return { state: 'starting', text: `starting (requested ${ago(open.requestedAt, now)})`, since, execution };
}

function started(open, now, used, max) {
  const execution = { n: used, of: max };
  const count = used > 1 || open.reason === 'recover' ? ` · execution ${used} of ${max}` : '';
  if (open.leaseExpiresAt && Date.parse(open.leaseExpiresAt) <= now) {
    return { state: 'stalled', text: `Stalled since ${formatClock(open.leaseExpiresAt)} — ${afterStall(used, max)}`, since: open.leaseExpiresAt, execution };
  }
  if (open.heartbeatAt) {
    return { state: 'healthy', text: `last heartbeat ${ago(open.heartbeatAt, now)}${count}`, since: open.heartbeatAt, execution };
  }
  return { state: 'healthy', text: `running, started ${ago(open.startedAt, now)}${count}`, since: open.startedAt, execution };
}

/**
 * @param {object} run  run.json
 * @param {{ now?: number, maxExecutions?: number, startGraceMs?: number }} [options]
 * @returns {{ state: 'succeeded'|'failed'|'cancelled'|'starting'|'healthy'|'recovering'|'stalled', text: string, since: string|null, execution: {n: number, of: number}|null }}
 */
export function liveness(run, options = {}) {
  const now = options.now ?? Date.now();
  const max = options.maxExecutions ?? DEFAULT_MAX_EXECUTIONS;
  const grace = options.startGraceMs ?? START_GRACE_MS;
  if (TERMINAL.has(run.status)) {
    const failure = failureSummary(run);
    const text = failure ? `Failed — ${failure.label}${failure.reason ? `: ${failure.reason}` : ''}` : run.status;
    return { state: run.status, text, since: run.updatedAt ?? null, execution: null };
  }
  const open = unfinishedExecution(run);
  const used = executionsUsed(run);
  if (!open) return withoutExecution(run, now, used, max, grace);
  const answer = open.startedAt ? started(open, now, used, max) : notStarted(open, now, used, max, grace);
  return run.cancelRequested ? { ...answer, text: `cancel requested · ${answer.text}` } : answer;
}

/** One execution as a line of the executions list: `#2 recover · lost — its lease expired …`. */
export function describeExecution(execution, index, run, now) {
  const head = `#${index + 1} ${execution.reason}`;
  if (execution.outcome) {
    const why = execution.endReason ? ` — ${execution.endReason}` : '';
    return { head, status: execution.outcome, text: `${execution.outcome}${why}` };
  }
  if (!execution.startedAt) return { head, status: 'starting', text: `requested ${formatClock(execution.requestedAt)}, not started` };
  if (execution.leaseExpiresAt && Date.parse(execution.leaseExpiresAt) <= now && !TERMINAL.has(run.status)) {
    return { head, status: 'stalled', text: `stalled: lease expired ${formatClock(execution.leaseExpiresAt)}` };
  }
  return { head, status: 'running', text: execution.heartbeatAt ? `running, last heartbeat ${ago(execution.heartbeatAt, now)}` : `running since ${formatClock(execution.startedAt)}` };
}
