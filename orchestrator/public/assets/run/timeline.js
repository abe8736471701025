/**
 * The timeline: a Gantt chart of node attempts over time, one row per node,
 * one bar per attempt (so retries show as several bars in a row), with a
 * marker where each execution started (build, retry, resume, recover; a lost
 * one's marker names why it was lost). Drawn as SVG
 * sized to its container; redrawn on new events and, while something runs,
 * once a second so running bars grow.
 */
import { h, s, replaceChildren } from '../lib/dom.js';
import { formatDateTime, formatDuration, nodeTitle } from '../lib/format.js';
import { statusClass, statusInfo } from '../lib/status.js';
import { deriveTimeline } from './attempts.js';

const LABEL_W = 148;
const ROW_H = 26;
const BAR_H = 16;
const TOP = 34;
const BOTTOM = 30;
const RIGHT = 16;

const STEPS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];

function tickStep(spanMs, maxTicks) {
  return STEPS_MS.find((step) => spanMs / step <= maxTicks) ?? STEPS_MS[STEPS_MS.length - 1];
}

function tickLabel(ms, step) {
  if (step < 1000) return `${ms} ms`;
  if (step < 60_000) return `${Math.round(ms / 1000)} s`;
  if (step < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

export function createTimeline(container) {
  let events = [];
  let order = [];
  let timer = null;
  let frame = null;

  const draw = () => {
    frame = null;
    const model = deriveTimeline(events);
    const running = model.attempts.some((a) => a.end === null);
    if (model.attempts.length === 0 || model.first === null) {
      replaceChildren(container, h('p', { class: 'empty' }, 'No attempts yet. The timeline fills in as nodes start.'));
      return;
    }
    const rows = [...order, ...new Set(model.attempts.map((a) => a.node).filter((n) => !order.includes(n)))];
    const width = Math.max(520, container.clientWidth);
    const height = TOP + rows.length * ROW_H + BOTTOM;
    const t0 = model.first;
    const t1 = Math.max(model.last ?? t0, running ? Date.now() : t0, t0 + 1);
    const span = t1 - t0;
    const plotW = width - LABEL_W - RIGHT;
    const x = (t) => LABEL_W + ((t - t0) / span) * plotW;

    const svg = s('svg', { class: 'timeline-svg', viewBox: `0 0 ${width} ${height}`, width: String(width), height: String(height), role: 'img', 'aria-label': `Timeline of ${model.attempts.length} node attempts` });

    // Grid and axis.
    const step = tickStep(span, Math.max(2, Math.floor(plotW / 90)));
    const grid = s('g', { class: 'tl-grid' });
    for (let t = 0; t <= span; t += step) {
      const gx = x(t0 + t);
      grid.append(
        s('line', { x1: gx, x2: gx, y1: TOP - 6, y2: height - BOTTOM + 4 }),
        s('text', { x: gx, y: height - BOTTOM + 18, 'text-anchor': 'middle', class: 'tl-tick' }, tickLabel(t, step)),
      );
    }
    svg.append(grid);

    // Rows.
    rows.forEach((node, i) => {
      const y = TOP + i * ROW_H;
      svg.append(
        s('rect', { x: 0, y, width, height: ROW_H, class: i % 2 ? 'tl-row tl-row-alt' : 'tl-row' }),
        s('text', { x: LABEL_W - 10, y: y + ROW_H / 2 + 4, 'text-anchor': 'end', class: 'tl-label' }, nodeTitle(node)),
      );
    });

    // Execution markers.
    for (const ex of model.executions) {
      const at = ex.started ?? ex.requested;
      if (at === null) continue;
      const mx = x(at);
      svg.append(
        s('g', { class: ['tl-exec', `tl-exec-${ex.reason}`, ex.outcome === 'lost' && 'tl-exec-lost'], dataset: { outcome: ex.outcome ?? 'open' } },
          s('title', {}, `Execution (${ex.reason}) started ${formatDateTime(new Date(at).toISOString())}${ex.outcome ? `, ${ex.outcome}` : ''}${ex.endReason ? `: ${ex.endReason}` : ''}`),
          s('line', { x1: mx, x2: mx, y1: TOP - 10, y2: height - BOTTOM }),
          s('text', { x: mx + 4, y: TOP - 14, class: 'tl-exec-label' }, ex.reason),
        ),
      );
    }

    // Where the run ended (each time: a retried run can end more than once).
    for (const end of model.endings) {
      if (end.at === null) continue;
      const ex = x(end.at);
      svg.append(
        s('g', { class: `tl-end ${statusClass(end.status)}` },
          s('title', {}, `Run ${statusInfo(end.status).label.toLowerCase()} ${formatDateTime(new Date(end.at).toISOString())}`),
          s('line', { x1: ex, x2: ex, y1: TOP - 4, y2: height - BOTTOM }),
          s('text', { x: ex - 4, y: TOP - 14, 'text-anchor': 'end', class: 'tl-end-label' }, statusInfo(end.status).label.toLowerCase()),
        ),
      );
    }

    // Attempt bars.
    for (const a of model.attempts) {
      const i = rows.indexOf(a.node);
      if (i < 0 || a.start === null) continue;
      const end = a.end ?? Date.now();
      const bx = x(a.start);
      const bw = Math.max(3, x(end) - bx);
      const y = TOP + i * ROW_H + (ROW_H - BAR_H) / 2;
      const label = `${nodeTitle(a.node)}, attempt ${a.n}: ${statusInfo(a.status).label.toLowerCase()}${a.end !== null ? `, ${formatDuration(a.end - a.start)}` : ', running'}${a.error ? ` — ${a.error.code}: ${a.error.message}` : ''}${a.willRetry ? ' (retried)' : ''}`;
      const bar = s('g', { class: `tl-bar ${statusClass(a.status)}`, dataset: { node: a.node, attempt: a.n, status: a.status } },
        s('title', {}, label),
        s('rect', { x: bx, y, width: bw, height: BAR_H, rx: 3 }),
      );
      if (bw >= 26) bar.append(s('text', { x: bx + bw / 2, y: y + BAR_H / 2 + 4, 'text-anchor': 'middle', class: 'tl-bar-label' }, `#${a.n}`));
      svg.append(bar);
    }

    replaceChildren(container, svg);
    if (running && timer === null) {
      timer = setInterval(() => schedule(), 1000);
    } else if (!running && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };

  const schedule = () => {
    if (frame === null) frame = requestAnimationFrame(draw);
  };

  new ResizeObserver(() => schedule()).observe(container);

  return {
    /** @param {object[]} allEvents  the feed's applied events; @param {string[]} nodeOrder rows, top to bottom */
    update(allEvents, nodeOrder) {
      events = allEvents;
      if (nodeOrder) order = nodeOrder;
      schedule();
    },
  };
}
