/** Build and dedup: new params start a run, the same again reuse it, force:true makes another. */
import { asBuildReply, defineCheck, expectStatus, fail } from './check.ts';

export const buildStarts = defineCheck({
  name: 'build: POST /build starts a run (202)',
  needs: ['keyWorks'],
  async run({ client, params, label, created }) {
    const reply = await client.request('POST', '/build', { auth: true, body: { params, label } });
    expectStatus(reply, 202, 'POST /build');
    const body = asBuildReply(reply, 'POST /build');
    created.add(body.runId);
    if (body.reused) fail('a first build of new params says reused:true');
    return { detail: `run ${body.runId}`, facts: { run: body } };
  },
});

export const sameParamsReuse = defineCheck({
  name: 'dedup: the same params again reuse the run',
  needs: ['run'],
  async run({ client, params, label, created }, { run }) {
    const reply = await client.request('POST', '/build', { auth: true, body: { params, label } });
    const body = reply.status === 200 || reply.status === 202 ? asBuildReply(reply, 'POST /build') : null;
    if (body) created.add(body.runId);
    expectStatus(reply, 200, 'POST /build with the same params');
    if (body?.reused !== true) fail('reused is not true');
    if (body.runId !== run.runId) fail(`a different run ${body.runId} (expected ${run.runId})`);
    return { detail: `200, reused:true, run ${body.runId}` };
  },
});

export const forceMakesNew = defineCheck({
  name: 'dedup: force:true makes a new run',
  needs: ['run'],
  async run({ client, params, label, created }, { run }) {
    const reply = await client.request('POST', '/build', { auth: true, body: { params, label: `${label} (forced)`, force: true } });
    const body = reply.status === 200 || reply.status === 202 ? asBuildReply(reply, 'POST /build force:true') : null;
    if (body) created.add(body.runId);
    expectStatus(reply, 202, 'POST /build with force:true');
    if (body?.reused !== false) fail('reused is not false');
    if (body.runId === run.runId) fail('force:true answered the same run');
    // The forced run only had to exist; stop it so the check costs one pipeline, not two.
    await client.request('POST', `/runs/${body.runId}/cancel`, { auth: true }).catch(() => null);
    return { detail: `202, new run ${body.runId} (cancelled at once)` };
  },
});
