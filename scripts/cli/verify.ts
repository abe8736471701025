/**
 * The Cloud Run checklist made executable (`scripts/verify-cloudrun.ts`,
 * `scenarioforge verify`): against any deployed orchestrator, each promise
 * the deployment makes is one check, PASS, FAIL or SKIP (a check whose
 * prerequisite failed). Any FAIL or SKIP makes the exit code non-zero.
 *
 * Every invocation builds with its own focal question, so reruns against one
 * deployment never reuse each other's runs; the dedup check posts that same
 * question twice on purpose. Every run it makes is deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import type { BuildParams } from '../../shared/domain/params.ts';
import { isTerminal, type RunState } from '../../shared/domain/run-state.ts';
import { toApiError, type ApiClient, type BuildReply, type RawReply } from './api-client.ts';
import { formatTable, type CommandIo } from './terminal.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
}

export interface VerifyOptions {
  /** Accept `storage_backend: local` (tests and local rehearsals). */
  allowLocal: boolean;
  /** How long the build may take to finish. */
  timeoutMs: number;
  /** Pause between run.json polls. */
  pollMs?: number;
  /** The key in use, so the checks can prove it is never echoed. */
  key: string | undefined;
}

export interface VerifyReport {
  ok: boolean;
  baseUrl: string;
  checks: CheckResult[];
}

/** Thrown by a check: the message is the table's detail. */
class CheckFailed extends Error {}

function fail(message: string): never {
  throw new CheckFailed(message);
}

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Values that look like a credential rather than a name: Google API keys, our generated keys, PEM blocks, long random tokens. */
export function looksLikeSecret(value: string, knownSecrets: readonly string[] = [], options: { randomTokens?: boolean } = {}): boolean {
  if (knownSecrets.some((s) => s.length >= 8 && value.includes(s))) return true;
  if (/AIza[0-9A-Za-z_-]{20,}/.test(value)) return true;
  if (/sf_local_[A-Za-z0-9_-]{8,}/.test(value)) return true;
  if (/-----BEGIN [A-Z ]*KEY-----/.test(value)) return true;
  if (options.randomTokens === false) return false;
  // A long token of mixed letters and digits with no separators a name would have.
  return /(?=[^\s]*[0-9])(?=[^\s]*[A-Za-z])^[A-Za-z0-9_+/=-]{24,}$/.test(value);
}

/** /health fields that may legitimately hold a long token (a git SHA as the version). */
const VERSION_FIELDS = new Set(['version', 'pipeline_version']);

/** The /health fields whose value looks like a key (names only: the values are never printed). */
export function secretLookingFields(body: Record<string, unknown>, knownSecrets: readonly string[]): string[] {
  return Object.entries(body)
    .filter(([field, value]) => stringsOf(value).some((v) => looksLikeSecret(v, knownSecrets, { randomTokens: !VERSION_FIELDS.has(field) })))
    .map(([field]) => field);
}

function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) stringsOf(v, out);
  return out;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function expectStatus(reply: RawReply, expected: number | number[], what: string): void {
  const allowed = Array.isArray(expected) ? expected : [expected];
  if (!allowed.includes(reply.status)) {
    const got = reply.status >= 400 ? toApiError(reply).message : `${reply.status}`;
    fail(`${what}: expected ${allowed.join(' or ')}, got ${got}`);
  }
}

function asBuildReply(reply: RawReply, what: string): BuildReply {
  const body = reply.json as Partial<BuildReply> | null;
  if (!body || typeof body.runId !== 'string' || !RUN_ID.test(body.runId)) fail(`${what}: the answer has no runId`);
  if (typeof body?.reused !== 'boolean') fail(`${what}: the answer has no "reused" flag`);
  const links = body?.links;
  if (!links || typeof links.ui !== 'string' || typeof links.runJson !== 'string' || typeof links.events !== 'string') fail(`${what}: the answer has no links {ui, runJson, events}`);
  return body as BuildReply;
}

/** Params nobody else posts: the focal question carries this invocation's nonce. */
export function verifyParams(nonce: string): BuildParams {
  return {
    company: 'ScenarioForge Verification Grid',
    focalQuestion: `How will European grid operators fund the 2035 transition? (verify-cloudrun ${nonce})`,
    horizonYear: 2035,
    region: 'Europe',
    industry: 'Electricity transmission',
  };
}

export async function verifyDeployment(client: ApiClient, options: VerifyOptions): Promise<VerifyReport> {
  const checks: CheckResult[] = [];
  const pollMs = options.pollMs ?? 1000;
  const secrets = options.key ? [options.key] : [];
  const nonce = `${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}`;
  const params = verifyParams(nonce);
  const label = `verify-cloudrun ${nonce}`;
  /** Every run this invocation made, deleted at the end. */
  const created = new Set<string>();

  const check = async <T>(name: string, needs: readonly unknown[] | null, fn: () => Promise<{ detail: string; value: T }>): Promise<T | null> => {
    if (needs && needs.some((n) => n === null || n === undefined || n === false)) {
      checks.push({ name, status: 'skip', detail: 'skipped: an earlier check it depends on failed' });
      return null;
    }
    try {
      const { detail, value } = await fn();
      checks.push({ name, status: 'pass', detail });
      return value;
    } catch (err) {
      checks.push({ name, status: 'fail', detail: err instanceof Error ? err.message : String(err) });
      return null;
    }
  };

  // ---- /health -------------------------------------------------------------------------
  const health = await check('health answers', null, async () => {
    const reply = await client.request('GET', '/health');
    expectStatus(reply, 200, 'GET /health');
    const body = reply.json as Record<string, unknown> | null;
    if (!body) fail('GET /health did not answer JSON');
    if (body?.['status'] !== 'ok') fail(`status is ${JSON.stringify(body?.['status'])}, not "ok"`);
    return { detail: `version ${String(body?.['version'])}, pipeline ${String(body?.['pipeline_version'])}, jobs on ${String(body?.['job_backend'])}`, value: { body: body as Record<string, unknown>, text: reply.text } };
  });

  await check('health: storage_backend is gcs', [health], async () => {
    const backend = health?.body['storage_backend'];
    if (backend === 'gcs') return { detail: 'gcs', value: true };
    if (backend === 'local' && options.allowLocal) return { detail: 'local (accepted: --allow-local)', value: true };
    return fail(`storage_backend is ${JSON.stringify(backend)}${backend === 'local' ? ' (a local disk does not survive an instance restart; --allow-local accepts it)' : ''}`);
  });

  await check('health: api_key_source named, no secret shown', [health], async () => {
    const source = health?.body['api_key_source'];
    if (typeof source !== 'string' || !/^[a-z][a-z_-]{0,31}$/.test(source)) fail(`api_key_source is ${JSON.stringify(source)}, not a source name`);
    const leaked = secretLookingFields(health?.body ?? {}, secrets);
    if (leaked.length > 0) fail(`a value looks like a key: ${leaked.join(', ')}`);
    if (secrets.some((s) => health?.text.includes(s))) fail('/health contains the API key');
    return { detail: `api_key_source: ${String(source)}, llm_provider: ${String(health?.body['llm_provider'])}`, value: true };
  });

  // ---- keys ------------------------------------------------------------------------------
  await check('auth: a build without a key is refused (401)', null, async () => {
    const reply = await client.request('POST', '/build', { body: { params, label } });
    if (reply.status === 202 || reply.status === 200) {
      const runId = (reply.json as { runId?: unknown } | null)?.runId;
      if (typeof runId === 'string') created.add(runId);
    }
    expectStatus(reply, 401, 'POST /build without a key');
    return { detail: toApiError(reply).apiMessage, value: true };
  });

  const keyOk = await check('auth: the key lists the tenant\'s runs', null, async () => {
    if (!options.key) fail('no key: pass --key or set SCENARIOFORGE_API_KEY');
    const reply = await client.request('GET', '/runs?limit=1', { auth: true });
    expectStatus(reply, 200, 'GET /runs');
    if (!Array.isArray((reply.json as { runs?: unknown } | null)?.runs)) fail('GET /runs did not answer {runs: [...]}');
    return { detail: 'GET /runs 200', value: true };
  });

  // ---- build and dedup ---------------------------------------------------------------------
  const first = await check('build: POST /build starts a run (202)', [keyOk], async () => {
    const reply = await client.request('POST', '/build', { auth: true, body: { params, label } });
    expectStatus(reply, 202, 'POST /build');
    const body = asBuildReply(reply, 'POST /build');
    created.add(body.runId);
    if (body.reused) fail('a first build of new params says reused:true');
    return { detail: `run ${body.runId}`, value: body };
  });

  await check('dedup: the same params again reuse the run', [first], async () => {
    const reply = await client.request('POST', '/build', { auth: true, body: { params, label } });
    const body = reply.status === 200 || reply.status === 202 ? asBuildReply(reply, 'POST /build') : null;
    if (body) created.add(body.runId);
    expectStatus(reply, 200, 'POST /build with the same params');
    if (body?.reused !== true) fail('reused is not true');
    if (body.runId !== first?.runId) fail(`a different run ${body.runId} (expected ${first?.runId})`);
    return { detail: `200, reused:true, run ${body.runId}`, value: true };
  });

  await check('dedup: force:true makes a new run', [first], async () => {
    const reply = await client.request('POST', '/build', { auth: true, body: { params, label: `${label} (forced)`, force: true } });
    const body = reply.status === 200 || reply.status === 202 ? asBuildReply(reply, 'POST /build force:true') : null;
    if (body) created.add(body.runId);
    expectStatus(reply, 202, 'POST /build with force:true');
    if (body?.reused !== false) fail('reused is not false');
    if (body.runId === first?.runId) fail('force:true answered the same run');
    // The forced run only had to exist; stop it so the check costs one pipeline, not two.
    await client.request('POST', `/runs/${body.runId}/cancel`, { auth: true }).catch(() => null);
    return { detail: `202, new run ${body.runId} (cancelled at once)`, value: true };
  });

  // ---- the run completes ---------------------------------------------------------------------
  const started = Date.now();
  const done = await check('run: the build succeeds', [first], async () => {
    const runJsonUrl = first?.links.runJson as string;
    let state: RunState | null = null;
    for (;;) {
      const reply = await client.request('GET', runJsonUrl);
      if (reply.status === 200) {
        state = reply.json as RunState;
        if (isTerminal(state.status)) break;
      } else if (reply.status !== 503) expectStatus(reply, 200, 'GET run.json');
      if (Date.now() - started > options.timeoutMs) fail(`still ${state?.status ?? 'unknown'} after ${Math.round(options.timeoutMs / 1000)} s (${state?.progress.done ?? 0}/${state?.progress.total ?? '?'} nodes)`);
      await sleep(pollMs);
    }
    if (state.status !== 'succeeded') {
      const why = state.failure ? ` at ${state.failure.node ?? 'run'}: ${state.failure.reason}` : '';
      fail(`the run ${state.status}${why}`);
    }
    return { detail: `succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s, ${state.progress.done}/${state.progress.total} nodes`, value: state };
  });

  // ---- judges read it with no key --------------------------------------------------------------
  await check('public: the run page loads with no key', [done], async () => {
    const reply = await client.request('GET', first?.links.ui as string, { headers: { accept: 'text/html' } });
    expectStatus(reply, 200, `GET ${first?.links.ui}`);
    if (!(reply.headers.get('content-type') ?? '').includes('text/html')) fail(`content-type is ${reply.headers.get('content-type')}, not HTML`);
    return { detail: first?.links.ui as string, value: true };
  });

  const runJson = await check('public: run.json loads with no key', [done], async () => {
    const reply = await client.request('GET', first?.links.runJson as string);
    expectStatus(reply, 200, 'GET run.json');
    const state = reply.json as RunState | null;
    if (!state || state.runId !== first?.runId) fail('run.json is not this run\'s projection');
    if (state?.status !== 'succeeded') fail(`run.json says ${state?.status}`);
    if (secrets.some((s) => reply.text.includes(s))) fail('run.json contains the API key');
    return { detail: `status succeeded, lastSeq ${state?.lastSeq}`, value: state as RunState };
  });

  await check('public: events load with no key', [runJson], async () => {
    const reply = await client.request('GET', first?.links.events as string, { headers: { accept: 'application/x-ndjson' } });
    expectStatus(reply, 200, 'GET events');
    const lines = reply.text.split('\n').filter((l) => l.trim() !== '');
    const events = lines.map((l) => JSON.parse(l) as { seq: number; type: string });
    if (events[0]?.type !== 'run.created') fail('the log does not begin with run.created');
    if (events.length < (runJson?.lastSeq ?? 0)) fail(`${events.length} events, run.json says lastSeq ${runJson?.lastSeq}`);
    if (events.some((e, i) => e.seq !== i + 1)) fail('event seqs are not contiguous from 1');
    if (secrets.some((s) => reply.text.includes(s))) fail('the log contains the API key');
    return { detail: `${events.length} events`, value: true };
  });

  await check('public: every listed artifact loads with no key', [runJson], async () => {
    const names = [...new Set(Object.values(runJson?.nodes ?? {}).flatMap((n) => n.artifacts))];
    if (names.length === 0) fail('run.json lists no artifacts');
    const base = (first?.links.ui as string).replace(/\/+$/, '');
    const broken: string[] = [];
    await Promise.all(names.map(async (name) => {
      const reply = await client.request('GET', `${base}/artifacts/${encodeURIComponent(name)}`, { headers: { accept: '*/*' } });
      if (reply.status !== 200 || reply.text.length === 0) broken.push(`${name} (${reply.status})`);
    }));
    if (broken.length > 0) fail(`${broken.length} of ${names.length} artifacts do not load: ${broken.sort().slice(0, 5).join(', ')}`);
    return { detail: `${names.length} artifacts`, value: true };
  });

  // ---- node retries and the last attempt ---------------------------------------------------------
  await check('retry: run.json shows every node\'s last attempt', [runJson], async () => {
    const nodes = Object.entries(runJson?.nodes ?? {});
    if (nodes.length === 0) fail('run.json has no nodes');
    const missing = nodes.filter(([, n]) => !n.lastAttempt || typeof n.lastAttempt.status !== 'string' || n.lastAttempt.n < 1 || n.attempts < n.lastAttempt.n);
    if (missing.length > 0) fail(`no last attempt with a status for ${missing.map(([id]) => id).join(', ')}`);
    const notOk = nodes.filter(([, n]) => n.lastAttempt?.status !== 'succeeded');
    if (notOk.length > 0) fail(`last attempt not succeeded: ${notOk.map(([id, n]) => `${id}=${n.lastAttempt?.status}`).join(', ')}`);
    const retried = nodes.filter(([, n]) => n.attempts > 1).length;
    return { detail: `${nodes.length} nodes, each last attempt succeeded${retried > 0 ? ` (${retried} after a retry)` : ''}`, value: true };
  });

  await check('retry: a succeeded node is refused (409), nothing appended', [runJson], async () => {
    const node = Object.keys(runJson?.nodes ?? {})[0] as string;
    const reply = await client.request('POST', `/runs/${first?.runId}/nodes/${node}/retry`, { auth: true });
    expectStatus(reply, 409, `POST /runs/:id/nodes/${node}/retry`);
    const error = toApiError(reply);
    if (error.code !== 'conflict' || !error.apiMessage.includes(node)) fail(`the refusal does not say why: ${error.message}`);
    const after = await client.request('GET', first?.links.runJson as string);
    if ((after.json as RunState | null)?.lastSeq !== runJson?.lastSeq) fail('the refused retry changed the run');
    return { detail: error.apiMessage, value: true };
  });

  // ---- delete -----------------------------------------------------------------------------------
  const deleted = await check('delete: DELETE /runs/:id', [done], async () => {
    const reply = await client.request('DELETE', `/runs/${first?.runId}`, { auth: true });
    expectStatus(reply, 200, 'DELETE /runs/:id');
    return { detail: '200', value: true };
  });

  await check('delete: the run leaves GET /runs', [deleted], async () => {
    let cursor: string | null = null;
    let seen = 0;
    for (let page = 0; page < 20; page++) {
      const reply = await client.request('GET', `/runs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { auth: true });
      expectStatus(reply, 200, 'GET /runs');
      const body = reply.json as { runs: { runId: string }[]; nextCursor: string | null };
      if (body.runs.some((r) => r.runId === first?.runId)) fail('the deleted run is still listed');
      seen += body.runs.length;
      cursor = body.nextCursor;
      if (!cursor) return { detail: `not among ${seen} listed runs`, value: true };
    }
    return { detail: `not among the newest ${seen} listed runs`, value: true };
  });

  await check('delete: its run.json and page answer 404/410', [deleted], async () => {
    const json = await client.request('GET', first?.links.runJson as string);
    expectStatus(json, [404, 410], 'GET run.json of the deleted run');
    const page = await client.request('GET', first?.links.ui as string, { headers: { accept: 'text/html' } });
    expectStatus(page, [404, 410], 'GET the page of the deleted run');
    return { detail: `run.json ${json.status}, page ${page.status}`, value: true };
  });

  // ---- leave nothing behind ------------------------------------------------------------------------
  if (first && !deleted) created.add(first.runId);
  else if (first) created.delete(first.runId);
  if (created.size > 0) {
    await check('cleanup: the other runs it made are deleted', null, async () => {
      const left: string[] = [];
      for (const runId of created) {
        await client.request('POST', `/runs/${runId}/cancel`, { auth: true }).catch(() => null);
        const reply = await client.request('DELETE', `/runs/${runId}`, { auth: true }).catch(() => null);
        if (!reply || (reply.status !== 200 && reply.status !== 404)) left.push(`${runId} (${reply?.status ?? 'unreachable'})`);
      }
      if (left.length > 0) fail(`could not delete ${left.join(', ')}`);
      return { detail: `${created.size} deleted`, value: true };
    });
  }

  return { ok: checks.every((c) => c.status === 'pass'), baseUrl: client.url, checks };
}

export function formatReport(report: VerifyReport): string {
  const rows = report.checks.map((c) => [c.status.toUpperCase(), c.name, c.detail]);
  const passed = report.checks.filter((c) => c.status === 'pass').length;
  const verdict = report.ok
    ? `all ${passed} checks passed against ${report.baseUrl}`
    : `${report.checks.length - passed} of ${report.checks.length} checks did not pass against ${report.baseUrl}`;
  return `${formatTable(['RESULT', 'CHECK', 'DETAIL'], rows)}\n${verdict}\n`;
}

export async function verifyCommand(io: CommandIo, client: ApiClient, options: VerifyOptions): Promise<number> {
  if (!io.json) io.stdout.write(`verifying ${client.url} …\n`);
  const report = await verifyDeployment(client, options);
  if (io.json) io.printJson(report);
  else io.stdout.write(formatReport(report));
  return report.ok ? 0 : 1;
}
