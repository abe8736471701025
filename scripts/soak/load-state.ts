/**
 * What the load knows and records. The actors act on the runs it has seen
 * (their last status, ETag and state, as read over HTTP) and append to the
 * records the checker judges afterwards: every build, delete and SSE stream.
 */
import type { BuildParams } from '../../shared/domain/params.ts';
import type { RunState } from '../../shared/domain/run-state.ts';
import type { HttpLog } from './http-log.ts';
import type { Rng } from './rng.ts';
import type { SseWatch } from './sse-watcher.ts';
import { paramsPool, type Tenant } from './tenants.ts';
import type { BuildRecord, DeleteRecord, SseRecord } from './types.ts';

export interface KnownRun {
  runId: string;
  tenant: Tenant;
  sigKey: string;
  status: string;
  deleted: boolean;
  etag: string | null;
  state: RunState | null;
}

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export class LoadState {
  readonly runs = new Map<string, KnownRun>();
  readonly builds: BuildRecord[] = [];
  readonly deletes: DeleteRecord[] = [];
  readonly sse: SseRecord[] = [];
  /** SSE watchers still open. */
  readonly watches = new Set<SseWatch>();
  readonly ops = { retries: 0, cancels: 0, deletes: 0, resumes: 0, bursts: 0 };
  /** When a job process last ran for each run (the load's idea of "somebody is working on it"). */
  readonly lastWorked = new Map<string, number>();
  readonly pools: Record<Tenant, BuildParams[]>;
  /** Params picked lately, per tenant: picked again, they make identical builds. */
  readonly hot: Record<Tenant, number[]> = { acme: [], globex: [] };

  private readonly rng: Rng;
  private readonly http: HttpLog;

  constructor(rng: Rng, http: HttpLog, durationMs: number) {
    this.rng = rng;
    this.http = http;
    // Big enough that a long soak keeps creating runs, small enough that identical builds are common.
    const poolSize = Math.min(1000, 60 + Math.round(durationMs / 5000));
    this.pools = { acme: paramsPool(poolSize), globex: paramsPool(poolSize) };
  }

  /** Runs neither deleted nor finished, as last seen. */
  active(): KnownRun[] {
    return [...this.runs.values()].filter((r) => !r.deleted && !TERMINAL.has(r.status));
  }

  /** Runs to read: mostly live ones, sometimes deleted ones (which must answer 404/410). */
  known(): KnownRun[] {
    const all = [...this.runs.values()];
    const live = all.filter((r) => !r.deleted);
    return live.length > 0 && this.rng.chance(0.9) ? live : all;
  }

  remember(runId: string, tenant: Tenant, sigKey: string, status: string): void {
    const r = this.runs.get(runId);
    if (r) {
      if (!r.deleted && !TERMINAL.has(r.status)) r.status = status;
      return;
    }
    this.runs.set(runId, { runId, tenant, sigKey, status, deleted: false, etag: null, state: null });
  }

  /** Reads run.json (conditionally: with the last ETag) and keeps what it says; an ETag that does not name lastSeq is a bad answer. */
  async readRunJson(r: KnownRun, conditional: boolean): Promise<void> {
    const headers: Record<string, string> = conditional && r.etag ? { 'if-none-match': r.etag } : {};
    const res = await this.http.request('GET', `/runs/${r.runId}/run.json`, '/runs/:id/run.json', { headers });
    if (!res) return;
    if (res.status === 304) return;
    if (res.status === 410 || res.status === 404) {
      r.deleted = true;
      return;
    }
    if (res.status !== 200) return;
    const state = JSON.parse(res.text) as RunState;
    const etag = res.headers.get('etag');
    if (etag !== `"${state.lastSeq}"`) {
      this.http.bad.push({ method: 'GET', path: `/runs/${r.runId}/run.json`, status: 200, detail: `ETag ${etag} does not name lastSeq ${state.lastSeq}`, at: Date.now() });
    }
    r.etag = etag;
    r.state = state;
    r.status = state.status;
    r.deleted = state.deleted;
  }
}
