/**
 * The four scenarios as cards, laid out like the matrix (C D on top, A B
 * below). Each card appears as soon as its own node succeeds. All model text
 * goes in as text nodes.
 */
import { fetchArtifactJson } from '../../lib/api.js';
import { h } from '../../lib/dom.js';

const POSITION = { scenario_a: 'bottom-left', scenario_b: 'bottom-right', scenario_c: 'top-left', scenario_d: 'top-right' };
const list = (x) => (Array.isArray(x) ? x : []);

function paragraphs(text) {
  return String(text ?? '').split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean).map((p) => h('p', {}, p));
}

function scenarioCard(id, sc) {
  const letter = id.replace('scenario_', '').toUpperCase();
  const paras = paragraphs(sc.narrative);
  return h('article', { class: 'scenario-card', dataset: { scenario: id, position: POSITION[id] }, 'aria-labelledby': `${id}-name` },
    h('header', { class: 'scenario-head' },
      h('span', { class: 'quadrant-tag' }, letter),
      h('div', {},
        h('h3', { class: 'scenario-name', id: `${id}-name` }, sc.name ?? ''),
        h('p', { class: 'scenario-poles' }, h('span', { class: 'pole' }, sc.axis1Pole ?? ''), h('span', { class: 'pole' }, sc.axis2Pole ?? '')),
      ),
    ),
    sc.logline ? h('p', { class: 'scenario-logline' }, sc.logline) : null,
    h('div', { class: 'scenario-narrative' },
      paras[0] ?? null,
      paras.length > 1 ? h('details', { class: 'more' }, h('summary', {}, 'Read the full narrative'), paras.slice(1)) : null,
    ),
    h('div', { class: 'winners-losers' },
      h('div', { class: 'wl wl-winners' }, h('h4', {}, h('span', { 'aria-hidden': 'true' }, '▲ '), 'Winners'), h('ul', {}, list(sc.winners).map((w) => h('li', {}, w)))),
      h('div', { class: 'wl wl-losers' }, h('h4', {}, h('span', { 'aria-hidden': 'true' }, '▼ '), 'Losers'), h('ul', {}, list(sc.losers).map((l) => h('li', {}, l)))),
    ),
    h('div', { class: 'signposts' },
      h('h4', {}, 'Signposts'),
      h('ul', {}, list(sc.signposts).map((s) => h('li', {}, h('span', { class: 'signpost-indicator' }, s.indicator ?? ''), h('span', { class: 'signpost-threshold' }, s.threshold ?? '')))),
    ),
    list(sc.implications).length
      ? h('details', { class: 'more implications' }, h('summary', {}, 'Implications'), h('ul', {}, list(sc.implications).map((i) => h('li', {}, i))))
      : null,
  );
}

export function scenarioSection(id) {
  return {
    id,
    requires: [id],
    slot: `card-${id}`,
    load: (runId) => fetchArtifactJson(runId, `${id}.json`),
    render: (value) => scenarioCard(id, value ?? {}),
  };
}
