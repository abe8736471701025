/** Keys: a build without one is refused; the one in use lists its tenant's runs. */
import { toApiError } from '../api-client.ts';
import { defineCheck, expectStatus, fail } from './check.ts';

export const buildNeedsKey = defineCheck({
  name: 'auth: a build without a key is refused (401)',
  async run({ client, params, label, created }) {
    const reply = await client.request('POST', '/build', { body: { params, label } });
    if (reply.status === 202 || reply.status === 200) {
      const runId = (reply.json as { runId?: unknown } | null)?.runId;
      if (typeof runId === 'string') created.add(runId);
    }
    expectStatus(reply, 401, 'POST /build without a key');
    return { detail: toApiError(reply).apiMessage };
  },
});

export const keyListsRuns = defineCheck({
  name: 'auth: the key lists the tenant\'s runs',
  async run({ client, options }) {
    if (!options.key) fail('no key: pass --key or set SCENARIOFORGE_API_KEY');
    const reply = await client.request('GET', '/runs?limit=1', { auth: true });
    expectStatus(reply, 200, 'GET /runs');
    if (!Array.isArray((reply.json as { runs?: unknown } | null)?.runs)) fail('GET /runs did not answer {runs: [...]}');
    return { detail: 'GET /runs 200', facts: { keyWorks: true } };
  },
});
