/** Builds: mostly one at a time (some forced), sometimes a burst of identical ones at once, which must answer one run. */
import type { SoakAction, SoakContext } from './actor.ts';
import { API_KEY_OF, type Tenant } from '../tenants.ts';

async function build(ctx: SoakContext, tenant: Tenant, i: number, force: boolean): Promise<void> {
  const { http, load } = ctx;
  const sigKey = `${tenant}|${i}`;
  const start = Date.now();
  const res = await http.request('POST', '/build', '/build', { key: API_KEY_OF[tenant], body: { params: load.pools[tenant][i], ...(force ? { force: true } : {}) } });
  const end = Date.now();
  let runId: string | null = null;
  let reused: boolean | null = null;
  if (res && (res.status === 200 || res.status === 202)) {
    const body = JSON.parse(res.text) as { runId: string; reused: boolean; status: string };
    runId = body.runId;
    reused = body.reused;
    load.remember(runId, tenant, sigKey, body.status);
  }
  load.builds.push({ tenant, sigKey, force, start, end, status: res?.status ?? 0, runId, reused });
}

export const builder: SoakAction = {
  name: 'build',
  weight: 3,
  async act(ctx) {
    const { rng, load } = ctx;
    if (load.active().length >= ctx.settings.maxActiveRuns) return;
    const tenant: Tenant = rng.chance(0.6) ? 'acme' : 'globex';
    const h = load.hot[tenant];
    const i = h.length > 0 && rng.chance(0.5) ? rng.pick(h) : rng.int(load.pools[tenant].length);
    h.push(i);
    if (h.length > 6) h.shift();
    if (rng.chance(0.25)) {
      // A burst of identical builds at once: one run.
      load.ops.bursts++;
      await Promise.all(Array.from({ length: 2 + rng.int(5) }, () => build(ctx, tenant, i, false)));
    } else {
      await build(ctx, tenant, i, rng.chance(0.12));
    }
  },
};
