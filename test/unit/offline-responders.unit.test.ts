import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { BuildParams } from '../../shared/domain/params.ts';
import type { ModelRequest } from '../../shared/llm/model-client.ts';
import type { OfflineRequest } from '../../shared/llm/offline-model.ts';
import { buildParamsSchema } from '../../shared/domain/params.ts';
import { SCENARIOFORGE_PIPELINE } from '../../shared/domain/scenarioforge-pipeline.ts';
import { answerOffline, getOfflineModel } from '../../shared/llm/offline-model.ts';
import { NODES, OFFLINE_RESPONDERS } from '../../job-runner/nodes/index.ts';
import { runPipelineInOrder } from '../../job-runner/nodes/in-order.ts';

const PARAMS: BuildParams = buildParamsSchema.parse({
  company: 'Nordlicht Netz AG',
  focalQuestion: 'How will European grid operators fund the 2035 transition?',
  horizonYear: 2035,
  region: 'Europe',
  industry: 'Electricity transmission and distribution',
});

/**
 * sha256 over every artifact and token count of a whole offline run of PARAMS.
 * Offline output is what demos, tests and golden files see: a change to any
 * responder, library text or prompt shows up here. When the change is meant,
 * update the hash (and say so in the commit).
 */
const PINNED_RUN_SHA256 = '7a0bab12c64b127709edeb45c91994e5746183c5f0579d863da37e655207c72f';

const request = (node: string, schema: Record<string, unknown> = { type: 'object' }): ModelRequest => ({
  node,
  prompt: 'p',
  schema,
  context: { params: PARAMS, inputs: {} },
  signal: new AbortController().signal,
});

describe('offline responders (unit)', () => {
  it('pins the offline output of a whole run, byte for byte', async () => {
    const results = await runPipelineInOrder({ params: PARAMS, model: getOfflineModel({ responders: OFFLINE_RESPONDERS }) });
    const entries: [string, string][] = [];
    for (const [id, r] of results) {
      entries.push([`${id}.json`, JSON.stringify(r.value)], [`${id}.usage`, JSON.stringify(r.usage ?? null)]);
      for (const f of r.files) entries.push([f.name, typeof f.body === 'string' ? f.body : f.body.toString('base64')]);
    }
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    expect(createHash('sha256').update(JSON.stringify(entries)).digest('hex')).to.equal(PINNED_RUN_SHA256);
  });

  it('the registry gives every model node a responder under its id, and render nodes none', () => {
    const modelNodes = Object.values(NODES).filter((n) => n.kind === 'model').map((n) => n.id).sort();
    expect(Object.keys(OFFLINE_RESPONDERS).sort()).to.deep.equal(modelNodes);
    for (const id of modelNodes) expect(OFFLINE_RESPONDERS[id]).to.equal(NODES[id]?.offline);
  });

  it('the adapter answers with the responder under the request\'s key, handing it the request', async () => {
    const seen: OfflineRequest[] = [];
    const model = getOfflineModel({ responders: { alpha: (req) => (seen.push(req), { from: 'alpha' }), beta: () => ({ from: 'beta' }) } });
    const res = await model.generate(request('beta'));
    expect(res.json).to.deep.equal({ from: 'beta' });
    expect((await model.generate(request('alpha'))).json).to.deep.equal({ from: 'alpha' });
    expect(seen).to.have.length(1);
    expect(seen[0]).to.include({ node: 'alpha' });
    expect(seen[0]?.context.params).to.equal(PARAMS);
    expect(res.usage).to.deep.equal({ promptTokens: 1, outputTokens: Math.ceil(JSON.stringify({ from: 'beta' }).length / 4) });
  });

  it('a key with no responder, even one Object.prototype has, gets a schema sample', () => {
    const schema = { type: 'object', properties: { a: { type: 'string', minLength: 3 } } };
    for (const key of ['gamma', 'constructor', 'toString', '__proto__']) {
      expect(answerOffline({ alpha: () => 'alpha' }, request(key, schema)), key).to.deep.equal({ a: 'sample' });
    }
  });

  it('shared/llm names no pipeline node and imports nothing from job-runner', () => {
    const dir = join(import.meta.dirname, '../../shared/llm');
    const ids = SCENARIOFORGE_PIPELINE.nodes.map((n) => n.id);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text, file).to.not.match(/from '[^']*job-runner/);
      for (const id of ids) expect(text, `${file} names "${id}"`).to.not.match(new RegExp(`['"\`]${id}['"\`]`));
    }
  });
});
