/**
 * /openapi.json against the API itself: real answers of the running app,
 * parsed with the schema the document names for that route and status (the
 * zod schema the document's JSON Schema is generated from), and every named
 * component present in the served document. The route table itself is held
 * to Express's routes in orchestrator-reads.int.test.ts.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import type { z } from 'zod';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { REQUEST_SCHEMAS, RESPONSE_SCHEMAS } from '../../orchestrator/api-schemas.ts';
import { OPERATIONS, toOpenApiPath } from '../../orchestrator/openapi.ts';
import { build, call, KEYS, listen, PARAMS, recordingLauncher, testConfig, type RecordingLauncher, type Reply, type Running } from '../support/orchestrator.ts';
import { runOfflineInProcess } from '../support/runs.ts';
import { tempDir } from '../support/temp-dir.ts';

/** The zod schema the document names for `route` answering `status` (`Error` for a documented error status). */
function documentedSchema(route: string, status: number): z.ZodType {
  const [method, path] = route.split(' ');
  const op = OPERATIONS.find((o) => o.method === method?.toLowerCase() && o.path === path);
  expect(op, `${route} is in the OpenAPI table`).to.not.equal(undefined);
  if (op?.errors.includes(status)) return RESPONSE_SCHEMAS.Error;
  const name = op?.ok[String(status)]?.schema;
  expect(name, `${route} documents a JSON body for ${status}`).to.not.equal(undefined);
  return RESPONSE_SCHEMAS[name ?? 'Error'];
}

/** Parses a real answer with its documented schema; nothing may be missing, mistyped, or (for exact shapes) extra. */
function expectDocumented(route: string, reply: Reply<unknown>): void {
  const parsed = documentedSchema(route, reply.status).safeParse(reply.body);
  expect(parsed.success, `${route} ${reply.status}: ${parsed.error?.message ?? ''}\n${reply.text.slice(0, 400)}`).to.equal(true);
  expect(parsed.data, `${route} ${reply.status} sends only documented fields`).to.deep.equal(reply.body);
}

describe('orchestrator: /openapi.json describes the real answers', function () {
  this.timeout(30_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: RunStore;
  let launcher: RecordingLauncher;
  let server: Running;

  before(async () => {
    ({ dir, cleanup } = await tempDir('sf-orch-openapi-'));
    store = getLocalRunStore(dir);
    launcher = recordingLauncher();
    server = await listen({ config: testConfig(dir), store, launcher });
  });
  after(async () => {
    await server.close();
    await cleanup();
  });

  it('the served document holds every component the routes name, generated from zod', async () => {
    const doc = await call<{ components: { schemas: Record<string, { type?: string }> } }>(server.url, 'GET', '/openapi.json');
    expect(doc.status).to.equal(200);
    const names = Object.keys(doc.body.components.schemas).sort();
    expect(names).to.deep.equal([...Object.keys(REQUEST_SCHEMAS), ...Object.keys(RESPONSE_SCHEMAS)].sort());
    for (const op of OPERATIONS) for (const r of Object.values(op.ok)) if (r.schema) expect(names, `${op.method} ${op.path}`).to.include(r.schema);
    const build = doc.body.components.schemas['BuildRequest'] as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(Object.keys(build.properties)).to.deep.equal(['params', 'label', 'force', 'deadlineSeconds']);
    expect(build.additionalProperties).to.equal(false);
    expect(JSON.stringify(doc.body)).to.not.include('$schema');
    expect(toOpenApiPath('/runs/:id/nodes/:node/retry')).to.equal('/runs/{id}/nodes/{node}/retry');
  });

  it('build, reuse, list, latest, read, operate: every answer matches its documented schema', async () => {
    const created = await build(server.url, KEYS.acme, { params: PARAMS, label: 'openapi' });
    expect(created.status).to.equal(202);
    expectDocumented('POST /build', created);
    const reused = await build(server.url, KEYS.acme, { params: PARAMS });
    expect(reused.status).to.equal(200);
    expectDocumented('POST /build', reused);
    const runId = created.body.runId;

    const result = await runOfflineInProcess(store, runId, launcher.requests[0]?.executionId ?? '');
    expect(result.outcome).to.equal('succeeded');

    expectDocumented('GET /runs', await call(server.url, 'GET', '/runs?limit=5', { key: KEYS.acme }));
    expectDocumented('GET /runs', await call(server.url, 'GET', '/runs?status=succeeded', { key: KEYS.acme }));
    expectDocumented('GET /latest', await call(server.url, 'GET', '/latest', { key: KEYS.acme }));
    expectDocumented('GET /runs/:id/run.json', await call(server.url, 'GET', `/runs/${runId}/run.json`));
    expectDocumented('GET /run/:id/node_events', await call(server.url, 'GET', `/run/${runId}/node_events`));
    expectDocumented('GET /run/:id/normalization', await call(server.url, 'GET', `/run/${runId}/normalization`));
    expectDocumented('GET /health', await call(server.url, 'GET', '/health'));

    // A finished node cannot be retried: a documented 409.
    const refused = await call(server.url, 'POST', `/runs/${runId}/nodes/drivers/retry`, { key: KEYS.acme });
    expect(refused.status).to.equal(409);
    expectDocumented('POST /runs/:id/nodes/:node/retry', refused);

    // A second run (never executed): cancel it, then retry a cancelled node, resume, delete.
    const other = (await build(server.url, KEYS.acme, { params: PARAMS, force: true })).body.runId;
    const cancel = await call(server.url, 'POST', `/runs/${other}/cancel`, { key: KEYS.acme });
    expect(cancel.status).to.equal(202);
    expectDocumented('POST /runs/:id/cancel', cancel);
    const retry = await call(server.url, 'POST', `/runs/${other}/nodes/charter/retry`, { key: KEYS.acme });
    expect(retry.status).to.equal(202);
    expectDocumented('POST /runs/:id/nodes/:node/retry', retry);
    expectDocumented('POST /runs/:id/resume', await call(server.url, 'POST', `/runs/${other}/resume`, { key: KEYS.acme }));
    const deleted = await call(server.url, 'DELETE', `/runs/${other}`, { key: KEYS.acme });
    expect(deleted.status).to.equal(200);
    expectDocumented('DELETE /runs/:id', deleted);
  });

  it('errors are the documented Error body, with the statuses each route lists', async () => {
    const answers: Array<[string, Reply<unknown>]> = [
      ['POST /build', await build(server.url, KEYS.acme, { params: { ...PARAMS, horizonYear: 1999 } })],
      ['POST /build', await build(server.url, 'no-such-key-000', { params: PARAMS })],
      ['POST /build', await call(server.url, 'POST', '/build', { key: KEYS.acme, raw: 'x', headers: { 'content-type': 'text/plain' } })],
      ['GET /runs', await call(server.url, 'GET', '/runs?limit=101', { key: KEYS.acme })],
      ['GET /runs/:id/run.json', await call(server.url, 'GET', `/runs/${uuidv7()}/run.json`)],
      ['GET /runs/:id/run.json', await call(server.url, 'GET', '/runs/not-a-run/run.json')],
      ['POST /runs/:id/cancel', await call(server.url, 'POST', `/runs/${uuidv7()}/cancel`, { key: KEYS.globex })],
    ];
    for (const [route, reply] of answers) {
      expect(reply.status, route).to.be.within(400, 499);
      expectDocumented(route, reply);
    }
  });
});
