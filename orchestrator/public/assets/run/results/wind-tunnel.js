/**
 * The wind tunnel: every strategy scored in every scenario (−2..+2) as a
 * heatmap whose rows are the strategy ranking (mean, then worst case). The
 * palette is a blue–red diverging scale safe for colour-vision deficiencies,
 * and every cell also carries its signed number.
 */
import { fetchArtifactJson } from '../../lib/api.js';
import { h } from '../../lib/dom.js';
import { signed } from '../../lib/format.js';

const VERDICT = {
  robust: { glyph: '●', label: 'Robust' },
  contingent: { glyph: '◐', label: 'Contingent' },
  fragile: { glyph: '○', label: 'Fragile' },
};

const scoreClass = (v) => (v > 0 ? `score-p${v}` : v < 0 ? `score-m${-v}` : 'score-0');

function meanBar(mean) {
  const pct = Math.max(-1, Math.min(1, mean / 2)) * 50;
  const fill = h('span', { class: ['mean-fill', mean >= 0 ? 'is-pos' : 'is-neg'] });
  fill.style.width = `${Math.abs(pct)}%`;
  fill.style.left = mean >= 0 ? '50%' : `${50 + pct}%`;
  return h('span', { class: 'mean-bar', 'aria-hidden': 'true' }, fill);
}

export const windTunnelSection = {
  id: 'wind-tunnel',
  requires: ['wind_tunnel'],
  optional: ['strategies'],
  async load(runId, run) {
    const wt = await fetchArtifactJson(runId, 'wind_tunnel.json');
    const strategies = run.nodes?.strategies?.status === 'succeeded' ? await fetchArtifactJson(runId, 'strategies.json').catch(() => null) : null;
    return { wt, strategies };
  },
  render({ wt, strategies }) {
    const scenarios = Array.isArray(wt?.scenarios) ? wt.scenarios : [];
    const cells = new Map((wt?.cells ?? []).map((c) => [`${c.strategyId}×${c.scenarioId}`, c]));
    const describe = new Map((strategies?.strategies ?? []).map((s) => [s.id, s.description]));
    const ranking = [...(wt?.robustness ?? [])].sort((a, b) => b.mean - a.mean || b.min - a.min || String(a.strategyId).localeCompare(String(b.strategyId)));

    const head = h('tr', {},
      h('th', { scope: 'col', class: 'rank' }, '#'),
      h('th', { scope: 'col' }, 'Strategy'),
      scenarios.map((sc) => h('th', { scope: 'col', class: 'wt-scenario', dataset: { scenario: sc.id } }, sc.name)),
      h('th', { scope: 'col', class: 'num' }, 'Mean'),
      h('th', { scope: 'col' }, 'Verdict'),
    );
    const rows = ranking.map((r, i) => {
      const v = VERDICT[r.classification] ?? { glyph: '?', label: r.classification };
      const description = describe.get(r.strategyId);
      return h('tr', { dataset: { strategy: r.strategyId, rank: i + 1 } },
        h('td', { class: 'rank' }, String(i + 1)),
        h('th', { scope: 'row', class: 'wt-strategy' },
          h('span', { class: 'strategy-id' }, r.strategyId), ' ', r.name,
          description && description !== r.name ? h('span', { class: 'strategy-desc', title: description }, description) : null),
        scenarios.map((sc) => {
          const c = cells.get(`${r.strategyId}×${sc.id}`);
          if (!c) return h('td', { class: 'wt-cell score-none' }, '–');
          return h('td', { class: ['wt-cell', scoreClass(c.score)], title: `${r.name} in ${sc.name}: ${signed(c.score)}. ${c.rationale ?? ''}`, dataset: { score: c.score } },
            h('span', { class: 'wt-score' }, signed(c.score)));
        }),
        h('td', { class: 'num wt-mean' }, meanBar(r.mean), h('span', {}, r.mean.toFixed(2))),
        h('td', {}, h('span', { class: ['verdict', `verdict-${r.classification}`] }, h('span', { 'aria-hidden': 'true' }, `${v.glyph} `), v.label)),
      );
    });

    return h('div', { class: 'wt-layout' },
      wt?.overview ? h('p', { class: 'wt-overview' }, wt.overview) : null,
      h('div', { class: 'table-scroll' }, h('table', { class: 'wt-table', id: 'wind-tunnel-table' }, h('caption', { class: 'sr-only' }, 'Wind tunnel: strategies ranked by mean score across the four scenarios'), h('thead', {}, head), h('tbody', {}, rows))),
      h('div', { class: 'wt-foot' },
        h('ul', { class: 'legend wt-legend' }, [-2, -1, 0, 1, 2].map((v) => h('li', {}, h('span', { class: ['legend-swatch', scoreClass(v)], 'aria-hidden': 'true' }), signed(v))),
          h('li', { class: 'muted' }, '−2 fails badly · +2 thrives')),
        wt?.classificationRule ? h('p', { class: 'hint' }, `Verdict rule — ${wt.classificationRule}.`) : null,
      ),
    );
  },
};
