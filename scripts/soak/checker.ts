/**
 * The soak's judge: `checkRuns(store, expectations)` reads every run the store
 * holds (raw bytes, not through the log reader, which would hide exactly what
 * it looks for) and returns one Anomaly per broken promise:
 *
 * - the log is contiguous (seq 1..n), its ids unique, every line an event, no torn tail;
 * - run.json as served (and as stored, after the serve) equals the fold of the log,
 *   byte for byte under fast-json-stable-stringify;
 * - every node the fold calls succeeded has every artifact its success event
 *   names, with the recorded sha256;
 * - no node succeeded twice without an operator retry between the two;
 * - a terminal run has no attempt left open and no execution left running;
 * - no run is stuck (`isStuck`): each is deleted, terminal, or held by a live lease;
 * - identical builds (same tenant and params, not forced, no delete or force
 *   in between) answered one run;
 * - deleted runs are absent from `GET /runs` and their links refuse; live runs are listed;
 * - no request of the load got a 5xx (or no answer), nor a broken answer (an ETag
 *   that does not name lastSeq, a JSONL log with a gap);
 * - every SSE watcher saw seqs strictly increasing without gaps, matching the
 *   log, and an end at a terminal (or deleted) state.
 *
 * `scanForSecret` looks for a secret in any text (store objects, logs, HTTP answers).
 */
import stableStringify from 'fast-json-stable-stringify';
import { isEventOf, type StoredEvent } from '../../shared/domain/events.ts';
import { isOpenExecution, unfinishedExecution } from '../../shared/domain/run-checks.ts';
import { isTerminal, project, type RunState } from '../../shared/domain/run-state.ts';
import { parseLog } from '../../shared/store/event-log.ts';
import { isRunId } from '../../shared/store/keys.ts';
import { sha256Hex, type RunStore } from '../../shared/store/run-store.ts';
import { CUT_BY_RESTART, type Anomaly, type BuildRecord, type DeleteRecord, type FailedRequest, type SseRecord } from './types.ts';

export type { Anomaly, AnomalyKind } from './types.ts';

export interface CheckExpectations {
  /** run.json as the orchestrator serves it (`GET /runs/:id/run.json`); when absent only the stored one is judged. */
  servedRunJson?: (runId: string) => Promise<{ status: number; body: string }>;
  /** Every run id `GET /runs` lists for the tenant (all pages); when absent listings are not judged. */
  listRuns?: (tenant: string) => Promise<string[]>;
  /** Tenants whose listings are judged; default: every tenant that owns a run. */
  tenants?: readonly string[];
  builds?: readonly BuildRecord[];
  deletes?: readonly DeleteRecord[];
  failedRequests?: readonly FailedRequest[];
  /** Answers that came but broke a promise (seen by the load). */
  badResponses?: readonly FailedRequest[];
  sse?: readonly SseRecord[];
  /** Every run that is not deleted must be terminal (after a quiesce). */
  requireTerminal?: boolean;
  /** A stuck run (`isStuck`) is an anomaly. Stuck runs are counted either way. */
  judgeStuck?: boolean;
  /** The clock leases are judged on (epoch ms); default now. */
  now?: number;
  /** Run ids to check besides those found in the store (e.g. every id a build answered). */
  runIds?: readonly string[];
  /** At most this many anomalies of one kind per run (a broken log would otherwise repeat itself). Default 5. */
  maxPerKind?: number;
}

export interface CheckedRun {
  runId: string;
  tenant: string;
  status: string;
  deleted: boolean;
  events: number;
  /** Not deleted, not terminal, and no live lease: nobody is working on it (see `isStuck`). */
  stuck: boolean;
}

export interface CheckResult {
  anomalies: Anomaly[];
  runs: CheckedRun[];
}

/**
 * A run is stuck unless something settles or holds it: deleted, terminal, or
 * active with a live lease — its unfinished execution started and the lease
 * its last heartbeat recorded not yet expired at `now`. A stuck run waits for
 * someone (the reconciler, an operator) to notice it.
 */
export function isStuck(state: RunState, now: number): boolean {
  if (state.deleted || isTerminal(state.status)) return false;
  const open = unfinishedExecution(state);
  const leaseLive = open !== null && open.startedAt !== null && open.leaseExpiresAt !== null && Date.parse(open.leaseExpiresAt) > now;
  return !leaseLive;
}

/** Every run id with at least one object under `runs/`. */
export function storedRunIds(store: RunStore): Promise<string[]> {
  return store.listAllRunIds();
}

interface RawLog {
  /** Lines that parsed as events, in file order (possibly broken: that is what is judged). */
  lines: { seq: unknown; id: unknown; type: unknown }[];
  malformed: number;
  tornTail: string | null;
  text: string;
}

function readRaw(text: string): RawLog {
  const out: RawLog = { lines: [], malformed: 0, tornTail: null, text };
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    const line = text.slice(start, nl);
    start = nl + 1;
    if (line.trim() === '') continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        out.malformed++;
        continue;
      }
      const e = v as Record<string, unknown>;
      out.lines.push({ seq: e['seq'], id: e['id'], type: e['type'] });
    } catch {
      out.malformed++;
    }
  }
  const rest = text.slice(start);
  if (rest.trim() !== '') out.tornTail = rest.slice(0, 80);
  return out;
}

/** Identical builds: the non-forced ones between two claim changes (a force, a delete) must all answer one run. */
function checkDedup(builds: readonly BuildRecord[], deletes: readonly DeleteRecord[], add: (a: Anomaly) => void): void {
  const bySig = new Map<string, { builds: BuildRecord[]; fences: { start: number; end: number }[] }>();
  const group = (sig: string) => {
    let g = bySig.get(sig);
    if (!g) bySig.set(sig, (g = { builds: [], fences: [] }));
    return g;
  };
  for (const b of builds) {
    const g = group(b.sigKey);
    // A forced build moves the claim whatever it answered; so may one that failed.
    if (b.force || b.status >= 300 || b.status === 0) g.fences.push({ start: b.start, end: b.end });
    else g.builds.push(b);
  }
  for (const d of deletes) if (d.sigKey !== null) group(d.sigKey).fences.push({ start: d.start, end: d.end });

  for (const [sig, g] of bySig) {
    const fences = g.fences.slice().sort((a, b) => a.start - b.start);
    // Each build falls in the window after the last fence that ended before it started;
    // a build that overlaps a fence could legitimately see either side and is left out.
    const windows = new Map<number, BuildRecord[]>();
    for (const b of g.builds) {
      if (fences.some((f) => f.start <= b.end && f.end >= b.start)) continue;
      const window = fences.filter((f) => f.end < b.start).length;
      let list = windows.get(window);
      if (!list) windows.set(window, (list = []));
      list.push(b);
    }
    for (const [window, list] of windows) {
      const ids = [...new Set(list.map((b) => b.runId))];
      if (ids.length > 1) {
        add({
          kind: 'dedup_violation',
          detail: `${list.length} identical builds of ${sig.slice(0, 60)} in one quiet window (#${window}) answered ${ids.length} runs: ${ids.join(', ')}`,
        });
      }
    }
  }
}

function checkSse(record: SseRecord, events: readonly StoredEvent[] | null, add: (a: Anomaly) => void): void {
  const runId = record.runId;
  if (record.httpStatus !== 200) return; // a refused stream (404/410) is judged by the status checks
  for (const p of record.problems) add({ kind: 'sse_gap', runId, detail: `stream problem: ${p}` });
  let expected = record.after + 1;
  for (const f of record.frames) {
    if (f.frameId !== f.seq) add({ kind: 'sse_mismatch', runId, detail: `frame id ${f.frameId} carries the event with seq ${f.seq}` });
    if (f.seq !== expected) {
      add({ kind: 'sse_gap', runId, detail: `after seq ${expected - 1} the watcher (after=${record.after}) was sent seq ${f.seq}` });
      expected = f.seq + 1;
      continue;
    }
    expected++;
    if (events) {
      const logged = events[f.seq - 1];
      if (!logged || logged.id !== f.id) add({ kind: 'sse_mismatch', runId, detail: `seq ${f.seq} streamed as ${f.id}, logged as ${logged?.id ?? 'nothing'}` });
    }
  }
  const lastSent = record.frames.at(-1)?.seq ?? record.after;
  if (record.end) {
    if (!record.end.deleted && !isTerminal(record.end.status as RunState['status'])) {
      add({ kind: 'sse_bad_end', runId, detail: `the stream ended at status ${record.end.status}, which is not terminal` });
    }
    if (record.end.lastSeq !== lastSent && record.end.lastSeq > record.after) {
      add({ kind: 'sse_bad_end', runId, detail: `the end frame says lastSeq ${record.end.lastSeq} but the last event sent was ${lastSent}` });
    }
  } else if (events && record.aborted !== CUT_BY_RESTART) {
    const state = project(events);
    if (state.deleted || isTerminal(state.status)) {
      add({ kind: 'sse_not_ended', runId, detail: `the run is ${state.deleted ? 'deleted' : state.status} but its stream did not end (${record.aborted ?? 'open'}; ${record.frames.length} events seen)` });
    }
  }
}

type Add = (a: Anomaly) => void;

/** The log: contiguous, unique, well-formed. */
function checkLogLines(runId: string, raw: RawLog, add: Add): void {
  if (raw.malformed > 0) add({ kind: 'log_malformed_line', runId, detail: `${raw.malformed} complete line(s) are not JSON events` });
  if (raw.tornTail !== null) add({ kind: 'log_torn_tail', runId, detail: `the log ends in a line without its newline: ${JSON.stringify(raw.tornTail)}` });
  const seen = new Set<string>();
  let expected = 1;
  raw.lines.forEach((line, i) => {
    // One anomaly per break: the next line is judged against the seq it follows.
    if (line.seq !== expected) add({ kind: 'log_seq_gap', runId, detail: `line ${i + 1} has seq ${JSON.stringify(line.seq)}, expected ${expected}` });
    expected = typeof line.seq === 'number' ? line.seq + 1 : expected + 1;
    const id = typeof line.id === 'string' ? line.id : JSON.stringify(line.id);
    if (seen.has(id)) add({ kind: 'log_duplicate_id', runId, detail: `event id ${id} appears twice (again at line ${i + 1})` });
    seen.add(id);
  });
}

/** run.json: served, then stored (a served read repairs a stale one); both must be the fold, byte for byte. */
async function checkProjection(store: RunStore, exp: CheckExpectations, runId: string, state: RunState, eventCount: number, add: Add): Promise<void> {
  const folded = stableStringify(state);
  if (exp.servedRunJson) {
    const served = await exp.servedRunJson(runId);
    if (state.deleted) {
      if (served.status !== 404 && served.status !== 410) add({ kind: 'deleted_served', runId, detail: `run.json of a deleted run answered ${served.status}` });
    } else if (served.status !== 200) {
      add({ kind: 'projection_mismatch', runId, detail: `run.json answered ${served.status}: ${served.body.slice(0, 160)}` });
    } else if (served.body !== folded) {
      add({ kind: 'projection_mismatch', runId, detail: `served run.json (${served.body.length} bytes) differs from the fold of ${eventCount} events (${folded.length} bytes)` });
    }
  }
  const stored = await store.readProjection(runId);
  if (!stored) {
    add({ kind: 'projection_missing', runId, detail: 'no run.json is stored' });
    return;
  }
  const bytes = stored.toString('utf8');
  let storedSeq: number;
  try {
    const parsed = JSON.parse(bytes) as { lastSeq?: unknown };
    storedSeq = typeof parsed.lastSeq === 'number' ? parsed.lastSeq : -1;
  } catch {
    storedSeq = -1;
  }
  if (storedSeq > state.lastSeq) add({ kind: 'projection_ahead', runId, detail: `stored run.json is at seq ${storedSeq}, the log at ${state.lastSeq}` });
  else if (storedSeq === state.lastSeq && bytes !== folded) add({ kind: 'stored_projection_mismatch', runId, detail: `stored run.json at seq ${storedSeq} differs from the fold` });
  else if (storedSeq < state.lastSeq && exp.servedRunJson) {
    add({ kind: 'stored_projection_stale', runId, detail: `stored run.json is at seq ${storedSeq}, the log at ${state.lastSeq}, even after a read` });
  }
}

/** Artifacts of every node the fold calls succeeded: stored, with the sha256 its last success recorded. */
async function checkArtifacts(store: RunStore, runId: string, state: RunState, events: readonly StoredEvent[], add: Add): Promise<void> {
  const lastSuccess = new Map<string, Extract<StoredEvent, { type: 'node.attempt.succeeded' }>>();
  for (const e of events) if (isEventOf(e, 'node.attempt.succeeded')) lastSuccess.set(e.data.node, e);
  for (const [node, n] of Object.entries(state.nodes)) {
    if (n.status !== 'succeeded') continue;
    const win = lastSuccess.get(node);
    if (!win) continue;
    for (const ref of win.data.artifacts) {
      const got = await store.getArtifact(runId, ref.name);
      if (!got) add({ kind: 'artifact_missing', runId, detail: `${ref.name} (named by seq ${win.seq}, node ${node}) is not stored` });
      else if (sha256Hex(got.body) !== ref.sha256) add({ kind: 'artifact_sha_mismatch', runId, detail: `${ref.name}: stored sha256 ${sha256Hex(got.body).slice(0, 12)}…, seq ${win.seq} says ${ref.sha256.slice(0, 12)}…` });
    }
  }
}

/** Run semantics: no second success without an operator retry; a terminal run left nothing open; after a quiesce, every live run is terminal. */
function checkSemantics(runId: string, state: RunState, events: readonly StoredEvent[], requireTerminal: boolean, add: Add): void {
  const succeeded = new Set<string>();
  const open = new Map<string, number>();
  for (const e of events) {
    if (isEventOf(e, 'node.attempt.succeeded')) {
      if (succeeded.has(e.data.node)) add({ kind: 'double_success', runId, detail: `${e.data.node} succeeded again at seq ${e.seq} (attempt ${e.data.attempt}) with no operator retry since its last success` });
      succeeded.add(e.data.node);
    } else if (isEventOf(e, 'node.retry.requested')) {
      for (const id of e.data.reset) succeeded.delete(id);
    }
    if (isEventOf(e, 'node.attempt.started')) open.set(`${e.data.node}#${e.data.attempt}`, e.seq);
    else if (isEventOf(e, 'node.attempt.succeeded') || isEventOf(e, 'node.attempt.failed') || isEventOf(e, 'node.attempt.abandoned') || isEventOf(e, 'node.attempt.cancelled')) {
      open.delete(`${e.data.node}#${e.data.attempt}`);
    }
  }
  if (isTerminal(state.status)) {
    for (const [attempt, seq] of open) add({ kind: 'attempt_never_ended', runId, detail: `the run is ${state.status} but attempt ${attempt} (started at seq ${seq}) never ended` });
    for (const x of state.executions) {
      if (isOpenExecution(x)) add({ kind: 'execution_left_open', runId, detail: `the run is ${state.status} but execution ${x.id} (started ${x.startedAt}) never finished` });
    }
  } else if (requireTerminal && !state.deleted) {
    add({ kind: 'run_not_terminal', runId, detail: `the run is still ${state.status} after the quiesce (${events.length} events)` });
  }
}

type TenantRuns = Map<string, { live: Set<string>; deleted: Set<string> }>;

/** Deleted runs are absent from `GET /runs`; live runs are listed. */
async function checkListings(exp: CheckExpectations, byTenant: TenantRuns, add: Add): Promise<void> {
  if (!exp.listRuns) return;
  const tenants = exp.tenants ?? [...byTenant.keys()].filter((t) => t !== '');
  for (const tenant of tenants) {
    const listed = new Set(await exp.listRuns(tenant));
    const t = byTenant.get(tenant);
    for (const id of t?.deleted ?? []) if (listed.has(id)) add({ kind: 'deleted_listed', runId: id, detail: `GET /runs of ${tenant} still lists the deleted run` });
    for (const id of t?.live ?? []) if (!listed.has(id)) add({ kind: 'run_not_listed', runId: id, detail: `GET /runs of ${tenant} does not list this live run` });
  }
}

/** What the load saw: identical builds, failed and broken answers, SSE streams. */
function checkLoad(exp: CheckExpectations, logs: ReadonlyMap<string, StoredEvent[]>, add: Add): void {
  checkDedup(exp.builds ?? [], exp.deletes ?? [], add);
  for (const f of exp.failedRequests ?? []) {
    add({
      kind: f.status === null ? 'request_failed' : 'server_error',
      detail: `${f.method} ${f.path} → ${f.status ?? 'no answer'}: ${f.detail.slice(0, 200)}`,
    });
  }
  for (const b of exp.badResponses ?? []) add({ kind: 'bad_response', detail: `${b.method} ${b.path} → ${b.status ?? 'no answer'}: ${b.detail.slice(0, 200)}` });
  for (const s of exp.sse ?? []) checkSse(s, logs.get(s.runId) ?? null, add);
}

export async function checkStore(store: RunStore, exp: CheckExpectations = {}): Promise<CheckResult> {
  const anomalies: Anomaly[] = [];
  const maxPerKind = exp.maxPerKind ?? 5;
  const counts = new Map<string, number>();
  const add = (a: Anomaly): void => {
    const k = `${a.runId ?? ''}|${a.kind}`;
    const n = (counts.get(k) ?? 0) + 1;
    counts.set(k, n);
    if (n <= maxPerKind) anomalies.push(a);
  };

  const ids = new Set(await storedRunIds(store));
  for (const id of exp.runIds ?? []) if (isRunId(id)) ids.add(id);
  const runs: CheckedRun[] = [];
  const logs = new Map<string, StoredEvent[]>();
  const byTenant: TenantRuns = new Map();

  for (const runId of [...ids].sort()) {
    const bytes = await store.readRawLog(runId);
    if (!bytes) {
      add({ kind: 'log_unreadable', runId, detail: 'the run has objects (or was answered by a build) but no events.jsonl' });
      continue;
    }
    const text = bytes.toString('utf8');
    const raw = readRaw(text);

    checkLogLines(runId, raw, add);
    // The fold, exactly as every reader of the log sees it.
    const events = parseLog(text).events;
    logs.set(runId, events);
    const state = project(events);
    const stuck = isStuck(state, exp.now ?? Date.now());
    runs.push({ runId, tenant: state.tenant, status: state.status, deleted: state.deleted, events: raw.lines.length, stuck });
    if (stuck && exp.judgeStuck) {
      const open = unfinishedExecution(state);
      add({ kind: 'run_stuck', runId, detail: `the run is ${state.status} and nobody holds it: ${open ? `execution ${open.id} (${open.reason}) ${open.startedAt ? `has no live lease (last heartbeat ${open.heartbeatAt ?? 'never'}, lease until ${open.leaseExpiresAt ?? 'never'})` : 'never started'}` : 'no execution is open'}` });
    }
    let t = byTenant.get(state.tenant);
    if (!t) byTenant.set(state.tenant, (t = { live: new Set(), deleted: new Set() }));
    (state.deleted ? t.deleted : t.live).add(runId);

    await checkProjection(store, exp, runId, state, events.length, add);
    await checkArtifacts(store, runId, state, events, add);
    checkSemantics(runId, state, events, exp.requireTerminal ?? false, add);
  }

  await checkListings(exp, byTenant, add);
  checkLoad(exp, logs, add);
  return { anomalies, runs };
}

/** The anomalies of `checkStore`. */
export async function checkRuns(store: RunStore, expectations: CheckExpectations = {}): Promise<Anomaly[]> {
  return (await checkStore(store, expectations)).anomalies;
}

/** An anomaly per place `secret` occurs in `text` (named `where`). */
export function scanForSecret(where: string, text: string | Buffer, secret: string): Anomaly[] {
  const haystack = typeof text === 'string' ? text : text.toString('latin1');
  const needle = typeof text === 'string' ? secret : Buffer.from(secret, 'utf8').toString('latin1');
  const at = haystack.indexOf(needle);
  if (at < 0) return [];
  let n = 0;
  for (let i = at; i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
  return [{ kind: 'secret_leak', detail: `the Gemini key appears ${n} time(s) in ${where} (first at offset ${at})` }];
}
