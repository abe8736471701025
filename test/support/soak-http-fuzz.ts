/**
 * The HTTP fuzzer's parts: fast-check arbitraries for whole requests against
 * every route of the orchestrator (path parameters, query strings, headers,
 * bodies, each in hostile and valid variants and several encodings), a raw
 * sender (the path goes out byte for byte: `fetch` would normalise `..` and
 * `%2e%2e` away), and a cheap snapshot of a store directory to prove a
 * refused request wrote nothing.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import { OPERATIONS } from '../../orchestrator/openapi.ts';

/** What the generators may pick real values from; read at generation time, so it may grow. */
export interface FuzzPool {
  /** Runs of the `acme` key: finished, failed, queued. */
  acme: string[];
  /** A run of another tenant. */
  foreign: string[];
  deleted: string[];
  nodes: string[];
  artifacts: string[];
  keys: { acme: string; globex: string };
}

export interface FuzzRequest {
  method: string;
  /** The route template it was made from (for the histogram), or `(unrouted)`. */
  route: string;
  /** The raw request target: path and query, already encoded. */
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | null;
}

export interface FuzzAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The answer was an SSE stream, cut after a moment. */
  streamed: boolean;
}

// ---------------------------------------------------------------------------
// Values

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];

const TRAVERSAL = [
  '..', '.', '../..', '../../etc/passwd', '..\\..\\windows', '/etc/passwd', '....//', '..;/', '.%00', 'a/../b',
  '../run.json', '../events.jsonl', '../lease.json', '../../tenants', '%2e%2e', '%2e%2e%2f', '..%2f..%2fpackage.json',
  '..%5c..%5c', '%252e%252e%252f', '%c0%ae%c0%ae%c0%af', '%e0%80%ae%e0%80%ae', '%uff0e%uff0e', 'file:///etc/passwd',
];

const WEIRD = [
  '', ' ', '\t', 'null', 'undefined', 'NaN', '-1', '0', '1e309', '0x10', '[]', '{}', '"', "'", '`', '<script>alert(1)</script>',
  '\u0000', 'a\u0000b', '\u202eevil', '\u{1F4A9}', 'Ä', 'A\u030A', '\uFEFFbom', '\uD800', '\uDFFF', 'x\uD83D', '%', '%%', '%zz', '%0', '%00',
  '%ff', '%c3%28', '%ed%a0%80', '%f4%90%80%80', '%e2%80%ae', ';', '?', '#', '&', '=', '+', 'a'.repeat(300), 'b'.repeat(5000),
];

const UUIDISH = (id: string) => [id.toUpperCase(), `${id} `, ` ${id}`, `${id}x`, id.slice(0, 35), `${id}/`, `${id}%00`, `${id}/..`, id.replace(/-/g, ''), `{${id}}`];

const fromPool = (pick: (p: FuzzPool) => readonly string[], pool: () => FuzzPool, fallback: string) =>
  fc.nat({ max: 10_000 }).map((i) => {
    const list = pick(pool());
    return list.length > 0 ? (list[i % list.length] as string) : fallback;
  });

const unicodeString = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
const anyString = fc.oneof(fc.string({ maxLength: 40 }), unicodeString(40), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constantFrom(...WEIRD));

function idArb(pool: () => FuzzPool): fc.Arbitrary<string> {
  const valid = fromPool((p) => p.acme, pool, '00000000-0000-7000-8000-000000000000');
  return fc.oneof(
    { weight: 6, arbitrary: valid },
    { weight: 2, arbitrary: fromPool((p) => p.foreign, pool, '00000000-0000-7000-8000-000000000001') },
    { weight: 2, arbitrary: fromPool((p) => p.deleted, pool, '00000000-0000-7000-8000-000000000002') },
    { weight: 2, arbitrary: fc.uuid({ version: 7 }) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 3, arbitrary: fc.tuple(valid, fc.nat()).map(([id, i]) => UUIDISH(id)[i % 10] as string) },
    { weight: 2, arbitrary: fc.constantFrom(...TRAVERSAL) },
    { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS) },
    { weight: 2, arbitrary: anyString },
  );
}

function nodeArb(pool: () => FuzzPool): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fromPool((p) => p.nodes, pool, 'drivers') },
    { weight: 1, arbitrary: fc.constantFrom('Drivers', 'drivers ', 'nope', 'scenario_e', 'charter.json', 'a'.repeat(65), '_x', '1abc') },
    { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
    { weight: 1, arbitrary: fc.constantFrom(...TRAVERSAL) },
    { weight: 2, arbitrary: anyString },
  );
}

function artifactArb(pool: () => FuzzPool): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fromPool((p) => p.artifacts, pool, 'report.md') },
    { weight: 2, arbitrary: fc.constantFrom('events.jsonl', 'run.json', 'lease.json', 'publish-cursor.json', 'report.md.bak', 'REPORT.MD', '.hidden', 'a..b', 'report.md/', 'x.svg', 'x.png') },
    { weight: 3, arbitrary: fc.constantFrom(...TRAVERSAL) },
    { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
    { weight: 2, arbitrary: anyString },
  );
}

const vendorArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('marked.esm.js', 'purify.es.mjs', 'MARKED.ESM.JS', 'marked.esm.js.map', 'package.json') },
  { weight: 3, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 2, arbitrary: fc.constantFrom(...TRAVERSAL) },
  { weight: 1, arbitrary: anyString },
);

const logNameArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('events', 'nodes', 'executions') },
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom('EVENTS', 'stderr', 'a'.repeat(33), 'x-y') },
  { weight: 1, arbitrary: fc.constantFrom(...TRAVERSAL) },
  { weight: 1, arbitrary: anyString },
);

// ---------------------------------------------------------------------------
// Encodings

/** UTF-8 bytes of a string; lone surrogates as their WTF-8 bytes (what a broken client would send). */
function wtf8(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

const hex = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Percent-encodes like encodeURIComponent, but never throws (lone surrogates become WTF-8). */
export function percentEncode(s: string, all = false): string {
  let out = '';
  for (const ch of s) {
    if (!all && UNRESERVED.test(ch)) out += ch;
    else out += wtf8(ch).map(hex).join('');
  }
  return out;
}

/** Characters Node's client accepts in a request target as they are. */
const RAW_SAFE = /^[\x21-\x7e]*$/;

export type SegmentEncoding = 'normal' | 'raw' | 'double' | 'all-bytes' | 'overlong' | 'broken';

export function encodeSegment(value: string, how: SegmentEncoding): string {
  switch (how) {
    case 'normal':
      return percentEncode(value);
    case 'raw':
      // Slashes, dots and percent signs go out as typed (traversal, pre-encoded input).
      return RAW_SAFE.test(value) ? value.replace(/[?#]/g, (c) => percentEncode(c)) : percentEncode(value);
    case 'double':
      return percentEncode(percentEncode(value));
    case 'all-bytes':
      return percentEncode(value, true);
    case 'overlong':
      // '.' and '/' in their overlong two-byte forms, which a strict decoder must refuse.
      return [...value].map((ch) => (ch === '.' ? '%C0%AE' : ch === '/' ? '%C0%AF' : percentEncode(ch))).join('');
    case 'broken':
      return `${percentEncode(value)}%`;
  }
}

const encodingArb: fc.Arbitrary<SegmentEncoding> = fc.oneof(
  { weight: 10, arbitrary: fc.constant('normal' as const) },
  { weight: 4, arbitrary: fc.constant('raw' as const) },
  { weight: 1, arbitrary: fc.constantFrom('double' as const, 'all-bytes' as const, 'overlong' as const, 'broken' as const) },
);

// ---------------------------------------------------------------------------
// Query strings

const QUERY_OF: Record<string, string[]> = {
  '/runs': ['limit', 'cursor', 'status'],
  '/runs/:id/events': ['after'],
};

const queryValueArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('1', '2', '50', '100', '0', '101', '-1', '1.5', '1e2', '0x10', ' 5', '5 ', '', '9'.repeat(20), '007', '+3', 'NaN', 'Infinity') },
  { weight: 2, arbitrary: fc.constantFrom('queued', 'running', 'succeeded', 'failed', 'cancelled', 'RUNNING', 'deleted', 'succeeded,failed') },
  { weight: 1, arbitrary: fc.constantFrom('AAAA', 'dGVuYW50cy9hY21lL3J1bnMv', 'ZXZpbA', '____', 'a'.repeat(600), '..%2f..') },
  { weight: 2, arbitrary: anyString },
);

function queryArb(route: string): fc.Arbitrary<string> {
  const known = QUERY_OF[route] ?? [];
  const name = fc.oneof(
    { weight: 5, arbitrary: known.length > 0 ? fc.constantFrom(...known) : fc.constant('x') },
    { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS, 'limit[]', 'limit[0]', 'status[a]', '__proto__[limit]', 'constructor[prototype][x]', 'after', 'limit') },
    { weight: 1, arbitrary: anyString },
  );
  const pair = fc.tuple(name, queryValueArb, encodingArb, fc.boolean()).map(([k, v, how, bare]) =>
    bare && v === '' ? encodeSegment(k, how) : `${encodeSegment(k, how)}=${encodeSegment(v, how)}`);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 5, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((ps) => `?${ps.join('&')}`) },
    // The same parameter twice: ?limit=1&limit=2
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...(known.length > 0 ? known : ['x'])), queryValueArb, queryValueArb).map(([k, a, b]) => `?${k}=${percentEncode(a)}&${k}=${percentEncode(b)}`) },
    { weight: 1, arbitrary: fc.constantFrom('?', '?&', '?=', '?&&=&', '?limit', '?limit=', `?${'x=1&'.repeat(300)}`, '?%', '?a=%zz', '?limit=%ff') },
  );
}

// ---------------------------------------------------------------------------
// Headers

function keyHeadersArb(pool: () => FuzzPool): fc.Arbitrary<Record<string, string | string[]>> {
  const acme = fc.constant(null).map(() => pool().keys.acme);
  const globex = fc.constant(null).map(() => pool().keys.globex);
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant({}) },
    { weight: 8, arbitrary: acme.map((k) => ({ 'x-api-key': k })) },
    { weight: 2, arbitrary: globex.map((k) => ({ 'x-api-key': k })) },
    { weight: 3, arbitrary: acme.map((k) => ({ authorization: `Bearer ${k}` })) },
    {
      weight: 6,
      arbitrary: fc.tuple(acme, globex, fc.nat()).map(([k, g, i]): Record<string, string | string[]> => {
        const variants: Record<string, string | string[]>[] = [
          { 'x-api-key': '' },
          { 'x-api-key': '   ' },
          { 'x-api-key': ` ${k} ` },
          { 'x-api-key': k.toUpperCase() },
          { 'x-api-key': `${k}x` },
          { 'x-api-key': 'wrong-key-000000' },
          { 'x-api-key': 'x'.repeat(8000) },
          { 'x-api-key': 'clé-latin1-é' },
          { 'x-api-key': [k, 'wrong-key-000000'] },
          { 'x-api-key': ['wrong-key-000000', k] },
          { 'x-api-key': [k, g] },
          { 'x-api-key': `${k}, ${g}` },
          { authorization: `bearer ${k}` },
          { authorization: `Bearer   ${k}   ` },
          { authorization: `Bearer ${k} extra` },
          { authorization: 'Bearer' },
          { authorization: 'Bearer ' },
          { authorization: `Basic ${Buffer.from(`acme:${k}`).toString('base64')}` },
          { authorization: `Token ${k}` },
          { authorization: [`Bearer ${k}`, `Bearer ${g}`] },
          { authorization: `Bearer ${k}`, 'x-api-key': 'wrong-key-000000' },
          { authorization: 'Bearer wrong-key-000000', 'x-api-key': k },
          { authorization: `Bearer ${g}`, 'x-api-key': k },
          { 'X-API-KEY': k },
        ];
        return variants[i % variants.length] as Record<string, string | string[]>;
      }),
    },
  );
}

const contentTypeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8', 'application/json; charset=UTF-8', 'application/json; charset=latin1', 'application/json; charset=utf-16',
      'application/json;charset="utf-8"', 'text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz',
      'application/vnd.api+json', 'application/merge-patch+json', 'application/json, text/plain', 'application/jsonx', 'json', ';;;',
      'application/json; charset=', 'APPLICATION/JSON', '*/*', 'application/*',
    ),
  },
);

const acceptArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.constantFrom('text/event-stream', 'text/event-stream;q=0', 'application/json', 'application/x-ndjson', 'text/html', '*/*', 'image/*', 'garbage', 'text/event-stream, application/json') },
);

const extraHeaderArb: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  {
    weight: 4,
    arbitrary: fc.constantFrom<Record<string, string>>(
      { 'if-none-match': '"3"' }, { 'if-none-match': 'W/"5"' }, { 'if-none-match': '*' }, { 'if-none-match': '"x", "1", W/"2"' }, { 'if-none-match': 'garbage' },
      { 'last-event-id': '3' }, { 'last-event-id': '-1' }, { 'last-event-id': 'abc' }, { 'last-event-id': '9'.repeat(30) }, { 'last-event-id': '1.5' }, { 'last-event-id': ' 2 ' },
      { 'x-gemini-api-key': 'AIzaSyFAKE-fuzz-0000000000' }, { 'x-gemini-api-key': 'short' },
      { 'content-encoding': 'gzip' }, { 'content-encoding': 'br' }, { 'content-encoding': 'identity' }, { 'content-encoding': 'x-weird' },
      { 'x-forwarded-proto': 'javascript' }, { 'x-forwarded-host': 'evil.example' }, { 'x-forwarded-for': '1.2.3.4, <script>' },
      { 'accept-charset': 'latin1' }, { range: 'bytes=0-10' }, { range: 'bytes=99999-' }, { 'if-modified-since': 'yesterday' },
    ),
  },
);

// ---------------------------------------------------------------------------
// Bodies

const PARAMS = { company: 'Fuzz Co', focalQuestion: 'What will the fuzzer find in the orchestrator?', horizonYear: 2035 };

const jsonBodyArb: fc.Arbitrary<string> = fc.oneof(
  // Valid builds (a 2xx may write): fresh params, or the same ones again (reused).
  { weight: 2, arbitrary: fc.tuple(fc.nat({ max: 5 }), fc.boolean()).map(([n, force]) => JSON.stringify({ params: { ...PARAMS, company: `Fuzz Co ${n}` }, ...(force ? { force: true } : {}) })) },
  // Structurally right, values from anywhere.
  {
    weight: 6,
    arbitrary: fc.record(
      {
        params: fc.oneof(
          fc.record({ company: fc.oneof(anyString, fc.jsonValue()), focalQuestion: fc.oneof(anyString, fc.constant(PARAMS.focalQuestion)), horizonYear: fc.oneof(fc.integer(), fc.double(), fc.constant(2035), fc.string()) }, { requiredKeys: [] }),
          fc.jsonValue(),
        ),
        label: fc.oneof(anyString, fc.jsonValue()),
        force: fc.oneof(fc.boolean(), fc.jsonValue()),
      },
      { requiredKeys: ['params'] },
    ).map((v) => JSON.stringify(v)),
  },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  // Prototype keys, duplicate keys, escapes a parser must survive.
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      `{"__proto__":{"force":true},"params":${JSON.stringify(PARAMS)}}`,
      `{"params":{"__proto__":{"company":"x"},"company":"A","focalQuestion":"${PARAMS.focalQuestion}","horizonYear":2035}}`,
      `{"constructor":{"prototype":{"polluted":1}},"params":${JSON.stringify(PARAMS)}}`,
      `{"params":${JSON.stringify({ ...PARAMS, prototype: 1 })}}`,
      `{"params":${JSON.stringify(PARAMS)},"params":{"company":"second"}}`,
      `{"params":{"company":"\\ud800","focalQuestion":"${PARAMS.focalQuestion}","horizonYear":2035}}`,
      `{"params":{"company":"A\\u0000B","focalQuestion":"${PARAMS.focalQuestion}","horizonYear":2035}}`,
      `{"params":{"company":"A","focalQuestion":"${PARAMS.focalQuestion}","horizonYear":1e400}}`,
      `{"params":{"company":"A","focalQuestion":"${PARAMS.focalQuestion}","horizonYear":2035.0000000000001}}`,
      `{"params":{"company":"A","focalQuestion":"${PARAMS.focalQuestion}","horizonYear":-0}}`,
      `\uFEFF{"params":${JSON.stringify(PARAMS)}}`,
      `{"params":${JSON.stringify(PARAMS)}}garbage`,
      `{"params":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      `{"a":${'{"a":'.repeat(200)}1${'}'.repeat(200)}}`,
      '{"params":', 'null', '[]', '"x"', '1', 'true', '{}', '', ' ', '{"params":{}}',
    ),
  },
  { weight: 1, arbitrary: fc.constant(null).map(() => JSON.stringify({ params: { ...PARAMS, company: 'x'.repeat(70_000) } })) },
);

const bodyArb: fc.Arbitrary<Buffer | null> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 10, arbitrary: jsonBodyArb.map((s) => Buffer.from(s, 'utf8')) },
  // Bytes that are not UTF-8 (overlong, lone surrogate, truncated) inside otherwise good JSON.
  {
    weight: 2,
    arbitrary: fc.constantFrom([0xc0, 0xae], [0xed, 0xa0, 0x80], [0xff], [0xc3], [0xf4, 0x90, 0x80, 0x80], [0xe0, 0x80, 0xaf]).map((bytes) =>
      Buffer.concat([Buffer.from('{"params":{"company":"'), Buffer.from(bytes), Buffer.from(`","focalQuestion":"${PARAMS.focalQuestion}","horizonYear":2035}}`)])),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.constant(Buffer.from('company=Acme&horizonYear=2035')) },
);

// ---------------------------------------------------------------------------
// Requests

const OTHER_METHODS = ['PUT', 'PATCH', 'OPTIONS', 'HEAD', 'DELETE', 'POST', 'GET', 'PROPFIND', 'TRACE'];

/** Every route of the API, and a few that are not. */
export const FUZZ_ROUTES: readonly { method: string; path: string }[] = [
  ...OPERATIONS.map((o) => ({ method: o.method.toUpperCase(), path: o.path })),
  { method: 'GET', path: '/assets/:file' },
  { method: 'GET', path: '/assets/run/:file' },
  { method: 'GET', path: '/:file' },
];

export function requestArb(pool: () => FuzzPool): fc.Arbitrary<FuzzRequest> {
  const params: Record<string, fc.Arbitrary<string>> = {
    id: idArb(pool),
    node: nodeArb(pool),
    name: artifactArb(pool),
    file: vendorArb,
  };
  return fc.constantFrom(...FUZZ_ROUTES).chain((route) => {
    const names = [...route.path.matchAll(/:([a-z]+)/g)].map((m) => m[1] as string);
    const values = fc.tuple(...names.map((n) => (n === 'name' && route.path.startsWith('/run/:id/logs') ? logNameArb : (params[n] ?? anyString))));
    const keyed = OPERATIONS.some((o) => o.path === route.path && o.keyed);
    return fc.record({
      method: fc.oneof({ weight: 20, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) }),
      values,
      encodings: fc.array(encodingArb, { minLength: names.length, maxLength: names.length }),
      query: queryArb(route.path),
      key: keyed ? keyHeadersArb(pool) : fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: keyHeadersArb(pool) }),
      contentType: contentTypeArb,
      accept: acceptArb,
      extra: extraHeaderArb,
      body: route.method === 'POST' || route.method === 'DELETE' ? bodyArb : fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: bodyArb }),
      slash: fc.oneof({ weight: 12, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '//') }),
      prefix: fc.oneof({ weight: 25, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '/.', '/./', '/x/..', '/%2e/') }),
    }).map((r): FuzzRequest => {
      let i = 0;
      const filled = route.path.replace(/:([a-z]+)/g, () => {
        const value = r.values[i] as string;
        const how = r.encodings[i] as SegmentEncoding;
        i++;
        return encodeSegment(value, how);
      });
      const headers: Record<string, string | string[]> = { ...r.key, ...r.extra };
      if (r.body !== null && r.contentType !== null) headers['content-type'] = r.contentType;
      if (r.accept !== null) headers['accept'] = r.accept;
      return { method: r.method, route: `${route.method} ${route.path}`, path: `${r.prefix}${filled}${r.slash}${r.query}`.replace(/^([^/])/, '/$1'), headers, body: r.body };
    });
  });
}

/** The request in a form that can be replayed with curl. */
export function describeRequest(r: FuzzRequest): string {
  const headers = Object.entries(r.headers).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `-H ${JSON.stringify(`${k}: ${x.length > 80 ? `${x.slice(0, 80)}…(${x.length})` : x}`)}`));
  const body = r.body === null ? '' : ` --data-binary ${JSON.stringify(r.body.length > 200 ? `${r.body.toString('latin1').slice(0, 200)}…(${r.body.length} bytes)` : r.body.toString('latin1'))}`;
  return `curl --path-as-is -X ${r.method} ${headers.join(' ')}${body} 'http://HOST${r.path.length > 300 ? `${r.path.slice(0, 300)}…` : r.path}'`;
}

// ---------------------------------------------------------------------------
// Sending

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** Sends the request exactly as built; an SSE answer is read for `streamMs`, then cut. */
export function sendRaw(base: string, r: FuzzRequest, options: { timeoutMs?: number; streamMs?: number } = {}): Promise<FuzzAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ...r.headers };
    if (r.body !== null) headers['content-length'] = String(r.body.length);
    const req = httpRequest({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      const streamed = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');
      let cut: NodeJS.Timeout | null = null;
      const done = () => {
        if (cut) clearTimeout(cut);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), streamed });
      };
      if (streamed) {
        cut = setTimeout(() => {
          res.destroy();
          done();
        }, options.streamMs ?? 150);
      }
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', done);
      res.on('error', () => (streamed ? done() : reject(new Error('the answer broke off'))));
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    if (r.body !== null) req.write(r.body);
    req.end();
  });
}

/** Closes the sender's pooled connections. */
export function closeFuzzAgent(): void {
  agent.destroy();
}

// ---------------------------------------------------------------------------
// The store directory

/** Size, mtime and inode of every file and directory under `dir`: any write changes one of them. */
export async function statTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true }).catch(() => []);
    await Promise.all(entries.map(async (e) => {
      const p = path.join(d, e.name);
      const st = await fs.lstat(p, { bigint: true }).catch(() => null);
      if (!st) return;
      out.set(path.relative(dir, p), `${e.isDirectory() ? 'd' : 'f'}:${st.size}:${st.mtimeNs}:${st.ino}`);
      if (e.isDirectory()) await walk(p);
    }));
  };
  await walk(dir);
  return out;
}

/** What differs between two snapshots (statTree or hashTree), for a message. */
export function treeDiff(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) out.push(`${before.has(k) ? 'changed' : 'added'} ${k}`);
  for (const k of before.keys()) if (!after.has(k)) out.push(`removed ${k}`);
  return out;
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
