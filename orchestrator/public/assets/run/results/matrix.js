/** The 2×2 scenario matrix: the run's own SVG artifact, sanitised and inlined, with its axes spelled out beside it. */
import { fetchArtifactJson, fetchArtifactText } from '../../lib/api.js';
import { h } from '../../lib/dom.js';
import { sanitizeSvg } from '../../lib/sanitize-svg.js';

export const matrixSection = {
  id: 'matrix',
  requires: ['matrix'],
  async load(runId) {
    const [svgText, value] = await Promise.all([fetchArtifactText(runId, 'scenario-matrix.svg'), fetchArtifactJson(runId, 'matrix.json')]);
    return { svgText, value };
  },
  render({ svgText, value }) {
    const svg = sanitizeSvg(svgText, { title: 'Scenario matrix' });
    const axes = Array.isArray(value?.axes) ? value.axes : [];
    const axisCard = (axis, i) =>
      h('div', { class: 'axis-card' },
        h('p', { class: 'eyebrow' }, i === 0 ? 'Axis 1 · horizontal' : 'Axis 2 · vertical'),
        h('h3', {}, axis.name ?? ''),
        h('div', { class: 'pole-range' },
          h('span', { class: 'pole pole-low' }, axis.low ?? ''),
          h('span', { class: 'pole-arrow', 'aria-hidden': 'true' }, '→'),
          h('span', { class: 'pole pole-high' }, axis.high ?? ''),
        ),
      );
    const quadrants = Array.isArray(value?.quadrants) ? value.quadrants : [];
    return h('div', { class: 'matrix-layout' },
      h('figure', { class: 'matrix-figure', id: 'matrix-figure' }, svg ?? h('p', { class: 'empty' }, 'The matrix drawing could not be read.')),
      h('div', { class: 'matrix-side' },
        axes.map(axisCard),
        quadrants.length
          ? h('ul', { class: 'quadrant-list' }, quadrants.map((q) =>
            h('li', { dataset: { position: q.position } },
              h('span', { class: 'quadrant-tag' }, String(q.scenario ?? '').replace('scenario_', '').toUpperCase()),
              h('span', { class: 'quadrant-text' }, h('strong', {}, q.name ?? ''), h('span', { class: 'muted' }, `${q.axis1Pole ?? ''} · ${q.axis2Pole ?? ''}`)))))
          : null,
      ),
    );
  },
};
