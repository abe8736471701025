/**
 * The bad-input suite: malformed JSON, wrong types, every field out of range,
 * unknown fields, prototype keys, a 2 MB body, Unicode edge cases, traversal
 * and encoded-traversal run ids and artifact names, unknown node ids, bad
 * query parameters and headers. Every answer is a 4xx naming the offending
 * field or parameter, never a 5xx, and the store's files are byte-identical
 * before and after the whole suite.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { build, call, hashTree, KEYS, listen, PARAMS, rawCall, recordingLauncher, testConfig, type Running } from '../support/orchestrator.ts';
import { HOSTILE_ARTIFACT_NAMES, HOSTILE_RUN_IDS } from '../support/run-store-contract.ts';
import { runOfflineInProcess } from '../support/runs.ts';
import { tempDir } from '../support/temp-dir.ts';

interface Case {
  what: string;
  method: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  key?: string | null;
  /** The field or parameter the answer must name; null: any 4xx will do (e.g. an HTML page, a path that matches no route). */
  field: string | null;
  status?: number[];
}

const json = (value: unknown): string => JSON.stringify(value);
const withParams = (params: Record<string, unknown>, extra: Record<string, unknown> = {}): string => json({ params: { ...PARAMS, ...params }, ...extra });

function buildCases(): Case[] {
  const c = (what: string, body: string | Buffer, field: string | null, extra: Partial<Case> = {}): Case => ({
    what: `build: ${what}`, method: 'POST', path: '/build', body, headers: { 'content-type': 'application/json' }, field, ...extra,
  });
  const deep = `{"params":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
  return [
    // Malformed
    c('truncated JSON', '{"params":', 'body'),
    c('not JSON', 'company=Acme', 'body'),
    c('trailing garbage', `${withParams({})}x`, 'body'),
    c('null', 'null', 'body'),
    c('an array', '[]', 'body'),
    c('a string', '"build"', 'body'),
    c('an empty body', '', 'body'),
    c('text/plain', withParams({}), 'Content-Type', { headers: { 'content-type': 'text/plain' } }),
    c('no content type', withParams({}), 'Content-Type', { headers: {} }),
    c('latin-1 charset', withParams({}), 'Content-Type', { headers: { 'content-type': 'application/json; charset=latin1' } }),
    c('invalid UTF-8 bytes', Buffer.concat([Buffer.from('{"params":{"company":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","focalQuestion":"How will it all go by then?","horizonYear":2035}}')]), 'body'),
    c('nested 20 000 deep', deep, null),
    // Wrong types
    c('params a string', json({ params: 'x' }), 'params'),
    c('params null', json({ params: null }), 'params'),
    c('params an array', json({ params: [] }), 'params'),
    c('company a number', withParams({ company: 5 }), 'params.company'),
    c('horizonYear a string', withParams({ horizonYear: '2035' }), 'params.horizonYear'),
    c('horizonYear a fraction', withParams({ horizonYear: 2035.5 }), 'params.horizonYear'),
    c('horizonYear 1e400', '{"params":{"company":"Acme","focalQuestion":"How will it all go by then?","horizonYear":1e400}}', 'params.horizonYear'),
    c('strategies a string', withParams({ strategies: 'grow' }), 'params.strategies'),
    c('strategies of numbers', withParams({ strategies: ['grow fast', 7] }), 'params.strategies[1]'),
    c('label a number', withParams({}, { label: 7 }), 'label'),
    c('force a string', withParams({}, { force: 'yes' }), 'force'),
    c('deadlineSeconds a string', withParams({}, { deadlineSeconds: '60' }), 'deadlineSeconds'),
    c('deadlineSeconds zero', withParams({}, { deadlineSeconds: 0 }), 'deadlineSeconds'),
    c('deadlineSeconds a fraction', withParams({}, { deadlineSeconds: 1.5 }), 'deadlineSeconds'),
    c('deadlineSeconds past a week', withParams({}, { deadlineSeconds: 604_801 }), 'deadlineSeconds'),
    // Missing
    c('no params', json({ label: 'x' }), 'params'),
    c('no company', json({ params: { focalQuestion: PARAMS.focalQuestion, horizonYear: 2035 } }), 'params.company'),
    c('no horizonYear', json({ params: { company: 'Acme', focalQuestion: PARAMS.focalQuestion } }), 'params.horizonYear'),
    // Out of range
    c('company empty', withParams({ company: '' }), 'params.company'),
    c('company blank', withParams({ company: '   \t ' }), 'params.company'),
    c('company 201 chars', withParams({ company: 'x'.repeat(201) }), 'params.company'),
    c('focalQuestion 9 chars', withParams({ focalQuestion: 'Too short' }), 'params.focalQuestion'),
    c('focalQuestion 1001 chars', withParams({ focalQuestion: 'q'.repeat(1001) }), 'params.focalQuestion'),
    c('horizonYear 2025', withParams({ horizonYear: 2025 }), 'params.horizonYear'),
    c('horizonYear 2101', withParams({ horizonYear: 2101 }), 'params.horizonYear'),
    c('horizonYear negative', withParams({ horizonYear: -2035 }), 'params.horizonYear'),
    c('region empty', withParams({ region: '' }), 'params.region'),
    c('region 201 chars', withParams({ region: 'r'.repeat(201) }), 'params.region'),
    c('industry 201 chars', withParams({ industry: 'i'.repeat(201) }), 'params.industry'),
    c('9 strategies', withParams({ strategies: Array.from({ length: 9 }, (_, i) => `strategy ${i}`) }), 'params.strategies'),
    c('a 2-char strategy', withParams({ strategies: ['grow fast', 'ab'] }), 'params.strategies[1]'),
    c('a 301-char strategy', withParams({ strategies: ['s'.repeat(301)] }), 'params.strategies[0]'),
    c('label 201 chars', withParams({}, { label: 'l'.repeat(201) }), 'label'),
    c('label empty', withParams({}, { label: '' }), 'label'),
    // Unknown fields and prototype keys
    c('an unknown top-level field', withParams({}, { priority: 'high' }), 'priority'),
    c('an unknown param', withParams({ ceo: 'Jane' }), 'params.ceo'),
    c('__proto__ at the top', `{"__proto__":{"admin":true},"params":${json(PARAMS)}}`, '__proto__'),
    c('__proto__ in params', `{"params":{"__proto__":{"company":"x"},"company":"Acme","focalQuestion":"How will it all go by then?","horizonYear":2035}}`, 'params.__proto__'),
    c('constructor at the top', `{"constructor":{"prototype":{"x":1}},"params":${json(PARAMS)}}`, 'constructor'),
    c('constructor in params', withParams({ constructor: 'x' }), 'params.constructor'),
    c('prototype in params', withParams({ prototype: 'x' }), 'params.prototype'),
    // Size
    c('a 2 MB body', withParams({ company: 'x'.repeat(2 * 1024 * 1024) }), 'body', { status: [413] }),
    c('a 2 MB body of whitespace', `${' '.repeat(2 * 1024 * 1024)}${withParams({})}`, 'body', { status: [413] }),
    // Unicode
    c('a lone high surrogate', '{"params":{"company":"Acme \\ud800","focalQuestion":"How will it all go by then?","horizonYear":2035}}', 'params.company'),
    c('a lone low surrogate', '{"params":{"company":"Acme","focalQuestion":"How will it \\udc00 all go by then?","horizonYear":2035}}', 'params.focalQuestion'),
    c('reversed surrogates', '{"params":{"company":"\\udc00\\ud800","focalQuestion":"How will it all go by then?","horizonYear":2035}}', 'params.company'),
    c('a NUL', withParams({ company: 'Acme\u0000Grid' }), 'params.company'),
    c('a BEL in a strategy', withParams({ strategies: ['grow fast', 'ring\u0007'] }), 'params.strategies[1]'),
    c('an escape sequence in the label', withParams({}, { label: '\u001b[31mred' }), 'label'),
    c('a lone surrogate in a key', '{"params":{"company":"Acme","focalQuestion":"How will it all go by then?","horizonYear":2035,"\\ud800":1}}', 'params'),
    // Headers
    c('a request Gemini key when not allowed', withParams({}), 'X-Gemini-Api-Key', { headers: { 'content-type': 'application/json', 'x-gemini-api-key': 'AIzaSy-not-allowed-here' } }),
  ];
}

describe('orchestrator: bad input', function () {
  this.timeout(60_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: RunStore;
  let server: Running;
  let runId: string;
  let before_: Map<string, string>;

  before(async () => {
    ({ dir, cleanup } = await tempDir('sf-orch-bad-'));
    store = getLocalRunStore(dir);
    const launcher = recordingLauncher();
    server = await listen({ config: testConfig(dir, { RATE_LIMIT_PER_MINUTE: '100000' }), store, launcher });
    const r = await build(server.url, KEYS.acme, { params: PARAMS });
    runId = r.body.runId;
    const result = await runOfflineInProcess(store, runId, launcher.requests[0]?.executionId ?? '');
    expect(result.outcome).to.equal('succeeded');
    expect((await call(server.url, 'GET', `/runs/${runId}/run.json`)).status).to.equal(200);
    before_ = await hashTree(dir);
  });
  after(async () => {
    await server.close();
    await cleanup();
  });

  const failures: string[] = [];
  const check = async (cases: Case[]): Promise<void> => {
    for (const k of cases) {
      const key = k.key === null ? undefined : (k.key ?? KEYS.acme);
      let r;
      try {
        r = await rawCall(server.url, k.method, k.path, { ...(key ? { key } : {}), ...(k.body !== undefined ? { body: k.body } : {}), ...(k.headers ? { headers: k.headers } : {}) });
      } catch (err) {
        failures.push(`${k.what}: the request failed: ${String(err)}`);
        continue;
      }
      const allowed = k.status ?? [];
      if (allowed.length > 0 ? !allowed.includes(r.status) : r.status < 400 || r.status >= 500) {
        failures.push(`${k.what}: status ${r.status} (${r.text.slice(0, 160)})`);
        continue;
      }
      if (k.field === null) continue;
      const fields = r.json?.error?.details?.map((d) => d.field) ?? [];
      if (!fields.includes(k.field)) failures.push(`${k.what}: ${r.status} names ${JSON.stringify(fields)}, not ${k.field} (${r.text.slice(0, 160)})`);
    }
  };

  it('POST /build: malformed, mistyped, out of range, unknown, prototype, oversized, non-text input', async () => {
    await check(buildCases());
    expect(failures.splice(0)).to.deep.equal([]);
  });

  it('run ids: traversal, encoded traversal, malformed — on every route that takes one', async () => {
    const ids = [
      ...HOSTILE_RUN_IDS.filter((id) => id !== '').map(encodeURIComponent),
      '%2e%2e', '%2E%2E%2Fetc', '..%2f..%2fetc%2fpasswd', '%252e%252e', 'NOT-A-UUID', `${runId.toUpperCase()}`, `${runId} `.replace(' ', '%20'),
    ];
    const cases: Case[] = [];
    for (const id of ids) {
      cases.push(
        { what: `run.json of ${id}`, method: 'GET', path: `/runs/${id}/run.json`, field: 'id' },
        { what: `events of ${id}`, method: 'GET', path: `/runs/${id}/events`, field: 'id' },
        { what: `SSE of ${id}`, method: 'GET', path: `/runs/${id}/events`, headers: { accept: 'text/event-stream' }, field: 'id' },
        { what: `artifact of ${id}`, method: 'GET', path: `/runs/${id}/artifacts/charter.json`, field: 'id' },
        { what: `alias artifact of ${id}`, method: 'GET', path: `/artifact/${id}/charter.json`, field: 'id' },
        { what: `node_events of ${id}`, method: 'GET', path: `/run/${id}/node_events`, field: 'id' },
        { what: `normalization of ${id}`, method: 'GET', path: `/run/${id}/normalization`, field: 'id' },
        { what: `logs of ${id}`, method: 'GET', path: `/run/${id}/logs/events`, field: 'id' },
        { what: `retry on ${id}`, method: 'POST', path: `/runs/${id}/nodes/charter/retry`, field: 'id' },
        { what: `resume of ${id}`, method: 'POST', path: `/runs/${id}/resume`, field: 'id' },
        { what: `cancel of ${id}`, method: 'POST', path: `/runs/${id}/cancel`, field: 'id' },
        { what: `delete of ${id}`, method: 'DELETE', path: `/runs/${id}`, field: 'id' },
        { what: `page of ${id}`, method: 'GET', path: `/runs/${id}`, field: null, status: [404] },
      );
    }
    // Sent unencoded, a traversal changes the path itself: whatever it matches, it is a 4xx.
    for (const raw of ['..', '../etc', '../../etc/passwd', '/etc/passwd', 'a/b']) {
      cases.push(
        { what: `raw ${raw} run.json`, method: 'GET', path: `/runs/${raw}/run.json`, field: null },
        { what: `raw ${raw} delete`, method: 'DELETE', path: `/runs/${raw}`, field: null },
        { what: `raw ${raw} artifact`, method: 'GET', path: `/runs/${raw}/artifacts/charter.json`, field: null },
      );
    }
    // Not UTF-8 once decoded (an overlong "..", a truncated sequence): the router cannot decode the segment.
    for (const id of ['%c0%ae%c0%ae', '%E0%A4%A', '%ff']) {
      cases.push(
        { what: `undecodable ${id} run.json`, method: 'GET', path: `/runs/${id}/run.json`, field: 'path' },
        { what: `undecodable ${id} delete`, method: 'DELETE', path: `/runs/${id}`, field: 'path' },
        { what: `undecodable ${id} page`, method: 'GET', path: `/runs/${id}`, field: null },
      );
    }
    cases.push({ what: 'an unknown run', method: 'GET', path: `/runs/${uuidv7()}/run.json`, field: 'id', status: [404] });
    cases.push({ what: 'delete an unknown run', method: 'DELETE', path: `/runs/${uuidv7()}`, field: 'id', status: [404] });
    await check(cases);
    expect(failures.splice(0)).to.deep.equal([]);
  });

  it('artifact names: traversal, encoded traversal, hidden, unlisted', async () => {
    const names = [
      ...HOSTILE_ARTIFACT_NAMES.filter((n) => n !== '').map(encodeURIComponent),
      '%2e%2e', '..%2frun.json', '%2e%2e%2f%2e%2e%2fevents.jsonl', '..%5c..%5crun.json', 'charter.json%00.svg', `${'a'.repeat(129)}.json`,
    ];
    const cases: Case[] = [];
    for (const name of names) {
      cases.push(
        { what: `artifact ${name}`, method: 'GET', path: `/runs/${runId}/artifacts/${name}`, field: 'name', key: null },
        { what: `alias artifact ${name}`, method: 'GET', path: `/artifact/${runId}/${name}`, field: 'name', key: null },
        { what: `alias image ${name}`, method: 'GET', path: `/artifact/${runId}/image/${name}`, field: 'name', key: null },
      );
    }
    for (const name of ['run.json', 'events.jsonl', 'lease.json', 'publish-cursor.json', 'nope.json']) {
      cases.push({ what: `unlisted ${name}`, method: 'GET', path: `/runs/${runId}/artifacts/${name}`, field: 'name', key: null, status: [404] });
    }
    cases.push({ what: 'a log stream with a traversal', method: 'GET', path: `/run/${runId}/logs/..%2f..%2fetc`, field: 'name', key: null });
    cases.push({ what: 'an unknown log stream', method: 'GET', path: `/run/${runId}/logs/secrets`, field: 'name', key: null, status: [404] });
    await check(cases);
    expect(failures.splice(0)).to.deep.equal([]);
  });

  it('node ids, query parameters, headers, and illegal operations on a finished run', async () => {
    const cases: Case[] = [
      { what: 'retry an unknown node', method: 'POST', path: `/runs/${runId}/nodes/nope/retry`, field: 'node', status: [404] },
      { what: 'retry a traversal node', method: 'POST', path: `/runs/${runId}/nodes/..%2f..%2fx/retry`, field: 'node' },
      { what: 'retry an upper-case node', method: 'POST', path: `/runs/${runId}/nodes/Drivers/retry`, field: 'node' },
      { what: 'retry a 65-char node', method: 'POST', path: `/runs/${runId}/nodes/${'n'.repeat(65)}/retry`, field: 'node' },
      { what: 'retry a succeeded node', method: 'POST', path: `/runs/${runId}/nodes/drivers/retry`, field: null, status: [409] },
      { what: 'resume a succeeded run', method: 'POST', path: `/runs/${runId}/resume`, field: null, status: [409] },
      { what: 'cancel a succeeded run', method: 'POST', path: `/runs/${runId}/cancel`, field: null, status: [409] },
      { what: 'events after=-1', method: 'GET', path: `/runs/${runId}/events?after=-1`, field: 'after', key: null },
      { what: 'events after=x', method: 'GET', path: `/runs/${runId}/events?after=x`, field: 'after', key: null },
      { what: 'events after twice', method: 'GET', path: `/runs/${runId}/events?after=1&after=2`, field: 'after', key: null },
      { what: 'events after=1e3', method: 'GET', path: `/runs/${runId}/events?after=1e3`, field: 'after', key: null },
      { what: 'SSE Last-Event-ID garbage', method: 'GET', path: `/runs/${runId}/events`, headers: { accept: 'text/event-stream', 'last-event-id': '../1' }, field: 'Last-Event-ID', key: null },
      { what: 'runs limit=0', method: 'GET', path: '/runs?limit=0', field: 'limit' },
      { what: 'runs limit=101', method: 'GET', path: '/runs?limit=101', field: 'limit' },
      { what: 'runs limit=-5', method: 'GET', path: '/runs?limit=-5', field: 'limit' },
      { what: 'runs status', method: 'GET', path: '/runs?status=deleted', field: 'status' },
      { what: 'runs cursor garbage', method: 'GET', path: '/runs?cursor=..%2f..%2f', field: 'cursor' },
      { what: 'runs cursor of a path', method: 'GET', path: `/runs?cursor=${Buffer.from('tenants/acme/runs/../../x').toString('base64url')}`, field: 'cursor' },
      { what: 'an API key of 5 KB', method: 'GET', path: '/runs', field: 'X-Api-Key', key: null, headers: { 'x-api-key': 'k'.repeat(5000) } },
    ];
    await check(cases);
    expect(failures.splice(0)).to.deep.equal([]);
  });

  it('the server still answers, and the store is byte-identical to before the suite', async () => {
    expect((await call(server.url, 'GET', '/health')).status).to.equal(200);
    expect(await hashTree(dir)).to.deep.equal(before_);
  });
});
