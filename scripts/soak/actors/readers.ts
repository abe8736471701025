/**
 * Readers, as judges and browsers are: run.json (with its ETag), the JSONL
 * log, artifacts (and their alias), listings, the run page and the other
 * aliases. Each is its own action with its own weight.
 */
import type { SoakAction } from './actor.ts';
import { API_KEY_OF, TENANTS, type Tenant } from '../tenants.ts';

export const runReader: SoakAction = {
  name: 'readRun',
  weight: 5,
  async act({ rng, load }) {
    const all = load.known();
    if (all.length === 0) return;
    await load.readRunJson(rng.pick(all), rng.chance(0.7));
  },
};

/** Reads the log after some seq; the lines must be contiguous from there. */
export const eventsReader: SoakAction = {
  name: 'readEvents',
  weight: 2,
  async act({ rng, http, load }) {
    const all = load.known();
    if (all.length === 0) return;
    const r = rng.pick(all);
    const after = rng.chance(0.5) ? 0 : rng.int(20);
    const res = await http.request('GET', `/runs/${r.runId}/events${after > 0 ? `?after=${after}` : ''}`, '/runs/:id/events');
    if (!res || res.status !== 200) return;
    const seqs = res.text.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { seq: number }).seq);
    if (seqs.some((s, k) => s !== after + k + 1)) {
      http.bad.push({ method: 'GET', path: `/runs/${r.runId}/events?after=${after}`, status: 200, detail: `JSONL seqs not contiguous from ${after + 1}: ${seqs.slice(0, 20).join(',')}`, at: Date.now() });
    }
  },
};

export const artifactReader: SoakAction = {
  name: 'readArtifact',
  weight: 2,
  async act({ rng, http, load }) {
    const withArtifacts = load.known().filter((r) => r.state && Object.values(r.state.nodes).some((n) => n.artifacts.length > 0));
    if (withArtifacts.length === 0) return;
    const r = rng.pick(withArtifacts);
    const names = Object.values(r.state?.nodes ?? {}).flatMap((n) => n.artifacts);
    const name = rng.pick(names);
    const alias = rng.chance(0.2);
    await http.request('GET', alias ? `/artifact/${r.runId}/${name}` : `/runs/${r.runId}/artifacts/${name}`, alias ? '/artifact/:id/:name' : '/runs/:id/artifacts/:name');
  },
};

/** A page of a tenant's runs (sometimes by status), and sometimes the next page. */
export const lister: SoakAction = {
  name: 'list',
  weight: 1,
  async act({ rng, http }) {
    const tenant: Tenant = rng.pick(TENANTS);
    const status = rng.chance(0.3) ? rng.pick(['queued', 'running', 'succeeded', 'failed', 'cancelled']) : null;
    const limit = 1 + rng.int(20);
    const res = await http.request('GET', `/runs?limit=${limit}${status ? `&status=${status}` : ''}`, '/runs', { key: API_KEY_OF[tenant] });
    if (res?.status !== 200) return;
    const page = JSON.parse(res.text) as { nextCursor: string | null };
    if (page.nextCursor && rng.chance(0.5)) {
      await http.request('GET', `/runs?limit=${limit}&cursor=${encodeURIComponent(page.nextCursor)}${status ? `&status=${status}` : ''}`, '/runs', { key: API_KEY_OF[tenant] });
    }
  },
};

/** Everything else a browser or a judge reads: /latest, /health, the run page, the old aliases. */
export const miscReader: SoakAction = {
  name: 'misc',
  weight: 1.5,
  async act({ rng, http, load }) {
    const all = load.known();
    const which = rng.pick(['latest', 'health', 'page', 'node_events', 'normalization', 'logs'] as const);
    if (which === 'latest') await http.request('GET', '/latest', '/latest', { key: API_KEY_OF[rng.pick(TENANTS)] });
    else if (which === 'health') await http.request('GET', '/health', '/health');
    else if (all.length > 0) {
      const r = rng.pick(all);
      if (which === 'page') await http.request('GET', `/runs/${r.runId}`, '/runs/:id');
      else if (which === 'node_events') await http.request('GET', `/run/${r.runId}/node_events`, '/run/:id/node_events');
      else if (which === 'normalization') await http.request('GET', `/run/${r.runId}/normalization`, '/run/:id/normalization');
      else await http.request('GET', `/run/${r.runId}/logs/${rng.pick(['events', 'nodes', 'executions'])}`, '/run/:id/logs/:name');
    }
  },
};
