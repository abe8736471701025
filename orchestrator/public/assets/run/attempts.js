/**
 * The timeline's model, derived from the event log: every node attempt as a
 * bar (start, end, outcome) and every execution as a marker. Pure functions
 * over the events the feed has applied.
 */

const ENDINGS = {
  'node.attempt.succeeded': 'succeeded',
  'node.attempt.failed': 'failed',
  'node.attempt.abandoned': 'abandoned',
  'node.attempt.cancelled': 'cancelled',
};

const RUN_ENDINGS = {
  'run.completed': 'succeeded',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
};

const time = (iso) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
};

/**
 * @returns {{
 *   attempts: {node: string, n: number, start: number, end: number|null, status: string, error: object|null, willRetry: boolean, artifacts: object[]}[],
 *   executions: {id: string, reason: string, requested: number|null, started: number|null, ended: number|null, outcome: string|null, endReason: string|null}[],
 *   retries: {node: string, at: number, by: string}[],
 *   endings: {at: number, status: string}[],
 *   first: number|null, last: number|null,
 * }}
 */
export function deriveTimeline(events) {
  const attempts = [];
  const open = new Map(); // `${node}#${n}` → attempt
  const executions = new Map();
  const retries = [];
  const endings = [];
  let first = null;
  let last = null;

  for (const e of events) {
    const at = time(e.at);
    if (at !== null) {
      first = first === null ? at : Math.min(first, at);
      last = last === null ? at : Math.max(last, at);
    }
    const d = e.data ?? {};
    if (e.type === 'node.attempt.started') {
      const a = { node: d.node, n: d.attempt, start: at, end: null, status: 'running', error: null, willRetry: false, artifacts: [] };
      attempts.push(a);
      open.set(`${d.node}#${d.attempt}`, a);
    } else if (e.type in ENDINGS) {
      const key = `${d.node}#${d.attempt}`;
      const a = open.get(key) ?? { node: d.node, n: d.attempt, start: at, end: null, status: 'running', error: null, willRetry: false, artifacts: [] };
      if (!open.has(key)) attempts.push(a);
      open.delete(key);
      a.end = at;
      a.status = ENDINGS[e.type];
      a.error = d.error ?? null;
      a.willRetry = Boolean(d.willRetry);
      a.artifacts = Array.isArray(d.artifacts) ? d.artifacts : [];
    } else if (e.type === 'execution.requested') {
      executions.set(d.executionId, { id: d.executionId, reason: d.reason, requested: at, started: null, ended: null, outcome: null, endReason: null });
    } else if (e.type === 'execution.started') {
      const x = executions.get(d.executionId);
      if (x && x.started === null) x.started = at;
    } else if (e.type === 'execution.finished') {
      const x = executions.get(d.executionId);
      if (x) {
        x.ended = at;
        x.outcome = d.outcome ?? null;
        x.endReason = d.reason ?? null;
      }
    } else if (e.type === 'node.retry.requested') {
      retries.push({ node: d.node, at, by: d.by ?? '' });
    } else if (e.type in RUN_ENDINGS) {
      endings.push({ at, status: RUN_ENDINGS[e.type] });
    }
  }
  return { attempts, executions: [...executions.values()], retries, endings, first, last };
}

/** The newest artifact refs (name, size, type) per artifact name, from succeeded attempts. */
export function latestArtifactRefs(events) {
  const refs = new Map();
  for (const e of events) {
    if (e.type !== 'node.attempt.succeeded') continue;
    for (const a of e.data?.artifacts ?? []) refs.set(a.name, { ...a, node: e.data.node, attempt: e.data.attempt });
  }
  return refs;
}
