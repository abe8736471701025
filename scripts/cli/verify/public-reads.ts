/** Judges read a finished run with no key: its page, run.json, the events and every artifact; none shows the key. */
import type { RunState } from '../../../shared/domain/run-state.ts';
import { defineCheck, expectStatus, fail } from './check.ts';

export const pageLoads = defineCheck({
  name: 'public: the run page loads with no key',
  needs: ['succeeded', 'run'],
  async run({ client }, { run }) {
    const reply = await client.request('GET', run.links.ui, { headers: { accept: 'text/html' } });
    expectStatus(reply, 200, `GET ${run.links.ui}`);
    if (!(reply.headers.get('content-type') ?? '').includes('text/html')) fail(`content-type is ${reply.headers.get('content-type')}, not HTML`);
    return { detail: run.links.ui };
  },
});

export const runJsonLoads = defineCheck({
  name: 'public: run.json loads with no key',
  needs: ['succeeded', 'run'],
  async run({ client, secrets }, { run }) {
    const reply = await client.request('GET', run.links.runJson);
    expectStatus(reply, 200, 'GET run.json');
    const state = reply.json as RunState | null;
    if (!state || state.runId !== run.runId) fail('run.json is not this run\'s projection');
    if (state?.status !== 'succeeded') fail(`run.json says ${state?.status}`);
    if (secrets.some((s) => reply.text.includes(s))) fail('run.json contains the API key');
    return { detail: `status succeeded, lastSeq ${state?.lastSeq}`, facts: { runJson: state } };
  },
});

export const eventsLoad = defineCheck({
  name: 'public: events load with no key',
  needs: ['runJson', 'run'],
  async run({ client, secrets }, { run, runJson }) {
    const reply = await client.request('GET', run.links.events, { headers: { accept: 'application/x-ndjson' } });
    expectStatus(reply, 200, 'GET events');
    const lines = reply.text.split('\n').filter((l) => l.trim() !== '');
    const events = lines.map((l) => JSON.parse(l) as { seq: number; type: string });
    if (events[0]?.type !== 'run.created') fail('the log does not begin with run.created');
    if (events.length < runJson.lastSeq) fail(`${events.length} events, run.json says lastSeq ${runJson.lastSeq}`);
    if (events.some((e, i) => e.seq !== i + 1)) fail('event seqs are not contiguous from 1');
    if (secrets.some((s) => reply.text.includes(s))) fail('the log contains the API key');
    return { detail: `${events.length} events` };
  },
});

export const artifactsLoad = defineCheck({
  name: 'public: every listed artifact loads with no key',
  needs: ['runJson', 'run'],
  async run({ client }, { run, runJson }) {
    const names = [...new Set(Object.values(runJson.nodes).flatMap((n) => n.artifacts))];
    if (names.length === 0) fail('run.json lists no artifacts');
    const base = run.links.ui.replace(/\/+$/, '');
    const broken: string[] = [];
    await Promise.all(names.map(async (name) => {
      const reply = await client.request('GET', `${base}/artifacts/${encodeURIComponent(name)}`, { headers: { accept: '*/*' } });
      if (reply.status !== 200 || reply.text.length === 0) broken.push(`${name} (${reply.status})`);
    }));
    if (broken.length > 0) fail(`${broken.length} of ${names.length} artifacts do not load: ${broken.sort().slice(0, 5).join(', ')}`);
    return { detail: `${names.length} artifacts` };
  },
});
