/** Delete: the run goes, leaves the listing, and its links refuse. Then nothing else this invocation made is left. */
import { defineCheck, expectStatus, fail, type Facts, type Verification, type VerifyCheck } from './check.ts';

export const deleteRun = defineCheck({
  name: 'delete: DELETE /runs/:id',
  needs: ['succeeded', 'run'],
  async run({ client }, { run }) {
    const reply = await client.request('DELETE', `/runs/${run.runId}`, { auth: true });
    expectStatus(reply, 200, 'DELETE /runs/:id');
    return { detail: '200', facts: { deleted: true } };
  },
});

export const deletedUnlisted = defineCheck({
  name: 'delete: the run leaves GET /runs',
  needs: ['deleted', 'run'],
  async run({ client }, { run }) {
    let cursor: string | null = null;
    let seen = 0;
    for (let page = 0; page < 20; page++) {
      const reply = await client.request('GET', `/runs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { auth: true });
      expectStatus(reply, 200, 'GET /runs');
      const body = reply.json as { runs: { runId: string }[]; nextCursor: string | null };
      if (body.runs.some((r) => r.runId === run.runId)) fail('the deleted run is still listed');
      seen += body.runs.length;
      cursor = body.nextCursor;
      if (!cursor) return { detail: `not among ${seen} listed runs` };
    }
    return { detail: `not among the newest ${seen} listed runs` };
  },
});

export const deletedRefused = defineCheck({
  name: 'delete: its run.json and page answer 404/410',
  needs: ['deleted', 'run'],
  async run({ client }, { run }) {
    const json = await client.request('GET', run.links.runJson);
    expectStatus(json, [404, 410], 'GET run.json of the deleted run');
    const page = await client.request('GET', run.links.ui, { headers: { accept: 'text/html' } });
    expectStatus(page, [404, 410], 'GET the page of the deleted run');
    return { detail: `run.json ${json.status}, page ${page.status}` };
  },
});

/** The runs still to delete: every one made, the tested run included unless its own delete passed. */
function leftovers({ created }: Verification, facts: Partial<Facts>): string[] {
  const ids = new Set(created);
  if (facts.run && !facts.deleted) ids.add(facts.run.runId);
  else if (facts.run) ids.delete(facts.run.runId);
  return [...ids];
}

/** Reported only when there was something to delete. */
export const cleanup: VerifyCheck = {
  name: 'cleanup: the other runs it made are deleted',
  needs: [],
  applies: (v, facts) => leftovers(v, facts).length > 0,
  async run(v, facts) {
    const ids = leftovers(v, facts);
    const left: string[] = [];
    for (const runId of ids) {
      await v.client.request('POST', `/runs/${runId}/cancel`, { auth: true }).catch(() => null);
      const reply = await v.client.request('DELETE', `/runs/${runId}`, { auth: true }).catch(() => null);
      if (!reply || (reply.status !== 200 && reply.status !== 404)) left.push(`${runId} (${reply?.status ?? 'unreachable'})`);
    }
    if (left.length > 0) fail(`could not delete ${left.join(', ')}`);
    return { detail: `${ids.length} deleted` };
  },
};
