/** /health: it answers, the store survives a restart, and it names the key's source without showing a key. */
import { defineCheck, expectStatus, fail } from './check.ts';
import { secretLookingFields } from './secrets.ts';

export const healthAnswers = defineCheck({
  name: 'health answers',
  async run({ client }) {
    const reply = await client.request('GET', '/health');
    expectStatus(reply, 200, 'GET /health');
    const body = reply.json as Record<string, unknown> | null;
    if (!body) fail('GET /health did not answer JSON');
    if (body?.['status'] !== 'ok') fail(`status is ${JSON.stringify(body?.['status'])}, not "ok"`);
    return {
      detail: `version ${String(body?.['version'])}, pipeline ${String(body?.['pipeline_version'])}, jobs on ${String(body?.['job_backend'])}`,
      facts: { health: { body: body as Record<string, unknown>, text: reply.text } },
    };
  },
});

export const storageIsGcs = defineCheck({
  name: 'health: storage_backend is gcs',
  needs: ['health'],
  async run({ options }, { health }) {
    const backend = health.body['storage_backend'];
    if (backend === 'gcs') return { detail: 'gcs' };
    if (backend === 'local' && options.allowLocal) return { detail: 'local (accepted: --allow-local)' };
    return fail(`storage_backend is ${JSON.stringify(backend)}${backend === 'local' ? ' (a local disk does not survive an instance restart; --allow-local accepts it)' : ''}`);
  },
});

export const keySourceNamed = defineCheck({
  name: 'health: api_key_source named, no secret shown',
  needs: ['health'],
  async run({ secrets }, { health }) {
    const source = health.body['api_key_source'];
    if (typeof source !== 'string' || !/^[a-z][a-z_-]{0,31}$/.test(source)) fail(`api_key_source is ${JSON.stringify(source)}, not a source name`);
    const leaked = secretLookingFields(health.body, secrets);
    if (leaked.length > 0) fail(`a value looks like a key: ${leaked.join(', ')}`);
    if (secrets.some((s) => health.text.includes(s))) fail('/health contains the API key');
    return { detail: `api_key_source: ${String(source)}, llm_provider: ${String(health.body['llm_provider'])}` };
  },
});
