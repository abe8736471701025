/**
 * The driving forces as an impact × uncertainty scatter plot. Forces that
 * share a rating are fanned out around their grid point; the forces behind
 * the two chosen axes are ringed and labelled. A ranked table beside it gives
 * the same facts as text.
 */
import { fetchArtifactJson } from '../../lib/api.js';
import { h, s } from '../../lib/dom.js';

/** Okabe–Ito colours per STEEP category; the category is also named in the legend, table and tooltip. */
export const CATEGORY = {
  social: { label: 'Social', cls: 'cat-social' },
  technological: { label: 'Technological', cls: 'cat-technological' },
  economic: { label: 'Economic', cls: 'cat-economic' },
  environmental: { label: 'Environmental', cls: 'cat-environmental' },
  political: { label: 'Political', cls: 'cat-political' },
};

const W = 560;
const H = 440;
const M = { left: 64, right: 18, top: 34, bottom: 56 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
const x = (u) => M.left + ((u - 0.5) / 5) * PW;
const y = (i) => M.top + PH - ((i - 0.5) / 5) * PH;

function fanOut(count, index) {
  if (count === 1) return [0, 0];
  const radius = count <= 4 ? 13 : count <= 7 ? 17 : 21;
  const angle = (2 * Math.PI * index) / count - Math.PI / 2;
  return [radius * Math.cos(angle), radius * Math.sin(angle)];
}

function axisOf(driverId, axes) {
  const i = axes.findIndex((a) => Array.isArray(a.driverIds) && a.driverIds.includes(driverId));
  return i < 0 ? null : { n: i + 1, axis: axes[i] };
}

function scatter(drivers, axes) {
  const svg = s('svg', { class: 'drivers-plot', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'drivers-plot-title drivers-plot-desc' },
    s('title', { id: 'drivers-plot-title' }, 'Driving forces by impact and uncertainty'),
    s('desc', { id: 'drivers-plot-desc' }, `${drivers.length} forces rated 1 to 5 for impact (vertical) and uncertainty (horizontal). ${axes.map((a, i) => `Axis ${i + 1}, ${a.name}, combines ${(a.driverIds ?? []).join(', ')}.`).join(' ')}`),
  );
  // Quadrant shading: the top-right holds the critical uncertainties.
  svg.append(
    s('rect', { x: x(3), y: M.top, width: x(5.5) - x(3), height: y(3) - M.top, class: 'plot-critical' }),
    s('text', { x: x(5.5), y: M.top - 10, 'text-anchor': 'end', class: 'plot-zone plot-zone-critical' }, 'Critical uncertainties'),
    s('text', { x: x(0.5), y: M.top - 10, class: 'plot-zone' }, 'Predetermined'),
    s('text', { x: x(5.5) - 8, y: y(0.5) - 8, 'text-anchor': 'end', class: 'plot-zone' }, 'Watch list'),
    s('text', { x: x(0.5) + 8, y: y(0.5) - 8, class: 'plot-zone' }, 'Secondary'),
  );
  const grid = s('g', { class: 'plot-grid' });
  for (let v = 1; v <= 5; v++) {
    grid.append(
      s('line', { x1: x(v), x2: x(v), y1: M.top, y2: M.top + PH }),
      s('line', { x1: M.left, x2: M.left + PW, y1: y(v), y2: y(v) }),
      s('text', { x: x(v), y: M.top + PH + 18, 'text-anchor': 'middle', class: 'plot-tick' }, String(v)),
      s('text', { x: M.left - 10, y: y(v) + 4, 'text-anchor': 'end', class: 'plot-tick' }, String(v)),
    );
  }
  grid.append(
    s('rect', { x: M.left, y: M.top, width: PW, height: PH, class: 'plot-frame' }),
    s('text', { x: M.left + PW / 2, y: H - 12, 'text-anchor': 'middle', class: 'plot-axis-label' }, 'Uncertainty →'),
    s('text', { x: 16, y: M.top + PH / 2, 'text-anchor': 'middle', transform: `rotate(-90 16 ${M.top + PH / 2})`, class: 'plot-axis-label' }, 'Impact →'),
  );
  svg.append(grid);

  const groups = new Map();
  for (const d of drivers) {
    const key = `${d.uncertainty}:${d.impact}`;
    (groups.get(key) ?? groups.set(key, []).get(key)).push(d);
  }
  const points = s('g', { class: 'plot-points' });
  const rings = s('g', { class: 'plot-rings' });
  for (const group of groups.values()) {
    group.forEach((d, i) => {
      const [dx, dy] = fanOut(group.length, i);
      const cx = x(d.uncertainty) + dx;
      const cy = y(d.impact) + dy;
      const chosen = axisOf(d.id, axes);
      const cat = CATEGORY[d.category] ?? { label: d.category, cls: 'cat-other' };
      const point = s('g', { class: ['plot-point', cat.cls, chosen ? 'is-axis' : ''], dataset: { driver: d.id }, tabindex: '0', 'aria-label': `${d.id} ${d.name}: ${cat.label}, impact ${d.impact}, uncertainty ${d.uncertainty}${chosen ? `, behind axis ${chosen.n}` : ''}` },
        s('title', {}, `${d.id} · ${d.name}\n${cat.label} — impact ${d.impact}, uncertainty ${d.uncertainty}${chosen ? `\nBehind axis ${chosen.n}: ${chosen.axis.name}` : ''}`),
        s('circle', { cx, cy, r: 10 }),
        s('text', { x: cx, y: cy + 3.5, 'text-anchor': 'middle', class: 'plot-point-id' }, String(d.id).replace(/^D/, '')),
      );
      points.append(point);
      if (chosen) {
        rings.append(
          s('circle', { cx, cy, r: 15, class: 'plot-axis-ring' }),
          d.uncertainty >= 5
            ? s('text', { x: cx - 19, y: cy - 10, 'text-anchor': 'end', class: 'plot-axis-tag' }, `Axis ${chosen.n}`)
            : s('text', { x: cx + 19, y: cy - 10, class: 'plot-axis-tag' }, `Axis ${chosen.n}`),
        );
      }
    });
  }
  svg.append(points, rings);
  return svg;
}

function legend() {
  return h('ul', { class: 'legend' }, Object.values(CATEGORY).map((c) => h('li', {}, h('span', { class: ['legend-swatch', c.cls], 'aria-hidden': 'true' }), c.label)),
    h('li', {}, h('span', { class: 'legend-ring', 'aria-hidden': 'true' }), 'Chosen axis'));
}

function table(drivers, axes) {
  const ranked = [...drivers].sort((a, b) => b.impact * b.uncertainty - a.impact * a.uncertainty || b.impact - a.impact);
  return h('table', { class: 'data-table drivers-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Force'), h('th', { scope: 'col' }, 'Category'), h('th', { scope: 'col', class: 'num', title: 'Impact' }, 'Imp.'), h('th', { scope: 'col', class: 'num', title: 'Uncertainty' }, 'Unc.'))),
    h('tbody', {}, ranked.map((d) => {
      const chosen = axisOf(d.id, axes);
      const cat = CATEGORY[d.category] ?? { label: d.category, cls: 'cat-other' };
      return h('tr', { class: chosen ? 'is-axis' : null, dataset: { driver: d.id } },
        h('td', {}, h('span', { class: 'driver-id' }, d.id), ' ', d.name, chosen ? h('span', { class: 'axis-tag' }, `Axis ${chosen.n}`) : null),
        h('td', { class: 'nowrap' }, h('span', { class: ['legend-swatch', cat.cls], 'aria-hidden': 'true' }), cat.label),
        h('td', { class: 'num' }, String(d.impact)),
        h('td', { class: 'num' }, String(d.uncertainty)),
      );
    })),
  );
}

export const driversSection = {
  id: 'drivers',
  requires: ['drivers'],
  optional: ['uncertainties'],
  async load(runId, run) {
    const drivers = await fetchArtifactJson(runId, 'drivers.json');
    const unc = run.nodes?.uncertainties?.status === 'succeeded' ? await fetchArtifactJson(runId, 'uncertainties.json') : null;
    return { drivers, unc };
  },
  render({ drivers, unc }) {
    const list = (Array.isArray(drivers?.drivers) ? drivers.drivers : []).filter((d) => Number.isFinite(d.impact) && Number.isFinite(d.uncertainty));
    const axes = Array.isArray(unc?.axes) ? unc.axes : [];
    return h('div', { class: 'drivers-layout' },
      h('figure', { class: 'drivers-figure' }, scatter(list, axes), h('figcaption', {}, legend())),
      h('div', { class: 'drivers-side' },
        axes.length ? h('p', { class: 'lead-small' }, `The two axes of the matrix come from the forces ringed in the plot: ${axes.map((a, i) => `axis ${i + 1}, “${a.name}”`).join(' and ')}.`) : h('p', { class: 'muted' }, 'The chosen axes are marked once the critical uncertainties are picked.'),
        h('div', { class: 'table-scroll' }, table(list, axes)),
      ),
    );
  },
};
