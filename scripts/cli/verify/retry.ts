/** Node retries: run.json shows each node's last attempt; retrying a succeeded node is refused and changes nothing. */
import type { RunState } from '../../../shared/domain/run-state.ts';
import { toApiError } from '../api-client.ts';
import { defineCheck, expectStatus, fail } from './check.ts';

export const lastAttemptsShown = defineCheck({
  name: 'retry: run.json shows every node\'s last attempt',
  needs: ['runJson'],
  async run(_v, { runJson }) {
    const nodes = Object.entries(runJson.nodes);
    if (nodes.length === 0) fail('run.json has no nodes');
    const missing = nodes.filter(([, n]) => !n.lastAttempt || typeof n.lastAttempt.status !== 'string' || n.lastAttempt.n < 1 || n.attempts < n.lastAttempt.n);
    if (missing.length > 0) fail(`no last attempt with a status for ${missing.map(([id]) => id).join(', ')}`);
    const notOk = nodes.filter(([, n]) => n.lastAttempt?.status !== 'succeeded');
    if (notOk.length > 0) fail(`last attempt not succeeded: ${notOk.map(([id, n]) => `${id}=${n.lastAttempt?.status}`).join(', ')}`);
    const retried = nodes.filter(([, n]) => n.attempts > 1).length;
    return { detail: `${nodes.length} nodes, each last attempt succeeded${retried > 0 ? ` (${retried} after a retry)` : ''}` };
  },
});

export const succeededNodeRefused = defineCheck({
  name: 'retry: a succeeded node is refused (409), nothing appended',
  needs: ['runJson', 'run'],
  async run({ client }, { run, runJson }) {
    const node = Object.keys(runJson.nodes)[0] as string;
    const reply = await client.request('POST', `/runs/${run.runId}/nodes/${node}/retry`, { auth: true });
    expectStatus(reply, 409, `POST /runs/:id/nodes/${node}/retry`);
    const error = toApiError(reply);
    if (error.code !== 'conflict' || !error.apiMessage.includes(node)) fail(`the refusal does not say why: ${error.message}`);
    const after = await client.request('GET', run.links.runJson);
    if ((after.json as RunState | null)?.lastSeq !== runJson.lastSeq) fail('the refused retry changed the run');
    return { detail: error.apiMessage };
  },
});
