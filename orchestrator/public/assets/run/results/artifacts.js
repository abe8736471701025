/**
 * Every artifact the run lists, with its size and a download link: the three
 * deliverables first, then each step's JSON output.
 */
import { artifactUrl } from '../../lib/api.js';
import { h } from '../../lib/dom.js';
import { formatBytes, nodeTitle } from '../../lib/format.js';
import { latestArtifactRefs } from '../attempts.js';

const DELIVERABLES = {
  'report.md': { title: 'Executive report', kind: 'Markdown' },
  'scenario-matrix.svg': { title: 'Scenario matrix', kind: 'SVG drawing' },
  'wind-tunnel.svg': { title: 'Wind tunnel chart', kind: 'SVG drawing' },
};

export function renderArtifacts(runId, run, events, order) {
  const refs = latestArtifactRefs(events);
  const rows = [];
  for (const node of order) {
    for (const name of run.nodes?.[node]?.artifacts ?? []) rows.push({ node, name, size: refs.get(name)?.size });
  }
  if (rows.length === 0) return h('p', { class: 'empty' }, 'No artifacts yet: each step lists its outputs here when it succeeds.');
  const deliverables = rows.filter((r) => r.name in DELIVERABLES);
  const outputs = rows.filter((r) => !(r.name in DELIVERABLES));
  const size = (n) => (Number.isFinite(n) ? formatBytes(n) : '');
  return h('div', { class: 'artifacts' },
    deliverables.length
      ? h('ul', { class: 'deliverables' }, deliverables.map((r) =>
        h('li', { dataset: { artifact: r.name } },
          h('a', { class: 'deliverable', href: artifactUrl(runId, r.name), download: r.name },
            h('span', { class: 'deliverable-title' }, DELIVERABLES[r.name].title),
            h('span', { class: 'deliverable-meta' }, `${r.name} · ${DELIVERABLES[r.name].kind}${size(r.size) ? ` · ${size(r.size)}` : ''}`),
            h('span', { class: 'deliverable-cta', 'aria-hidden': 'true' }, 'Download ↓')))))
      : null,
    outputs.length
      ? h('div', {},
        h('h3', { class: 'artifacts-sub' }, 'Step outputs (JSON)'),
        h('ul', { class: 'output-list' }, outputs.map((r) =>
          h('li', { dataset: { artifact: r.name } },
            h('a', { href: artifactUrl(runId, r.name), class: 'artifact-link', download: r.name }, r.name),
            h('span', { class: 'muted' }, `${nodeTitle(r.node)}${size(r.size) ? ` · ${size(r.size)}` : ''}`)))))
      : null,
  );
}
