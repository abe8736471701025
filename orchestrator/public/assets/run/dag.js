/**
 * The pipeline as a DAG of node boxes, coloured by status, each with its
 * attempt count and last attempt. Boxes are kept across updates (only their
 * content changes), so keyboard focus survives live updates. Details —
 * including a failed attempt's error — show in a floating tip on hover and on
 * focus, and in a visually hidden description for screen readers.
 */
import { h, s, replaceChildren } from '../lib/dom.js';
import { formatDateTime, formatDuration, nodeTitle } from '../lib/format.js';
import { statusClass, statusInfo } from '../lib/status.js';
import { layoutDag } from './dag-layout.js';

const RETRYABLE_NODE = new Set(['failed', 'cancelled']);

function attemptDuration(a) {
  if (!a?.startedAt || !a.endedAt) return null;
  return Date.parse(a.endedAt) - Date.parse(a.startedAt);
}

/** One line per fact, shared by the tip and the screen-reader description. */
function detailLines(id, node) {
  const a = node.lastAttempt;
  const lines = [
    ['Status', statusInfo(node.status).label],
    ['Attempts', `${node.attempts}${node.maxAttempts ? ` (budget ${node.budgetUsed ?? 0} of ${node.maxAttempts} used)` : ''}`],
  ];
  if (a) {
    lines.push(['Last attempt', `#${a.n} ${statusInfo(a.status).label.toLowerCase()}`]);
    lines.push(['Started', formatDateTime(a.startedAt)]);
    if (a.endedAt) lines.push(['Ended', `${formatDateTime(a.endedAt)} (${formatDuration(attemptDuration(a))})`]);
    if (a.error) {
      lines.push(['Error', `${a.error.code}${a.error.retryable ? ' (retryable)' : ' (terminal)'}`]);
      lines.push(['Message', a.error.message]);
    }
  }
  lines.push(['Needs', node.deps.length ? node.deps.map(nodeTitle).join(', ') : '— (first step)']);
  if (node.artifacts?.length) lines.push(['Outputs', node.artifacts.join(', ')]);
  return lines;
}

/** "Attempt 2 · 1.2 s"; the attempt's own outcome is named when it differs from the node's status. */
function attemptSummary(node) {
  const a = node.lastAttempt;
  if (!a) return 'Not started';
  const parts = [`Attempt ${a.n}`];
  if (a.status !== node.status) parts.push(node.status === 'pending' && a.status === 'failed' ? 'failed, will retry' : statusInfo(a.status).label.toLowerCase());
  const ms = attemptDuration(a);
  if (ms !== null) parts.push(formatDuration(ms));
  return parts.join(' · ');
}

export function createDag(container, { onRetry }) {
  const edgesSvg = s('svg', { class: 'dag-edges', 'aria-hidden': 'true' });
  const columnsEl = h('div', { class: 'dag-columns' });
  const tip = h('div', { class: 'node-tip', role: 'tooltip', id: 'node-tip', hidden: true });
  replaceChildren(container, edgesSvg, columnsEl);
  document.body.append(tip);

  const boxes = new Map(); // id → element
  let shapeKey = '';
  let edges = [];
  let current = null;
  let tipFor = null;

  /** Places the tip under its box (above it near the bottom of the window); the tip is position: fixed. */
  const placeTip = () => {
    const box = tipFor === null ? null : boxes.get(tipFor);
    if (!box || tip.hidden) return;
    const r = box.getBoundingClientRect();
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    const left = Math.min(window.innerWidth - tw - 8, Math.max(8, r.left + r.width / 2 - tw / 2));
    let top = r.bottom + 8;
    if (top + th > window.innerHeight - 8) top = Math.max(8, r.top - th - 8);
    tip.style.left = `${Math.round(left)}px`;
    tip.style.top = `${Math.round(top)}px`;
  };

  const showTip = (id) => {
    const node = current?.nodes?.[id];
    if (!boxes.get(id) || !node) return;
    tipFor = id;
    replaceChildren(
      tip,
      h('p', { class: 'node-tip-title' }, nodeTitle(id), h('span', { class: 'node-tip-id' }, id)),
      h('dl', {}, detailLines(id, node).map(([k, v]) => [h('dt', {}, k), h('dd', { class: k === 'Message' ? 'node-tip-message' : null }, v)])),
    );
    tip.hidden = false;
    placeTip();
  };
  const hideTip = (id) => {
    if (id === undefined || tipFor === id) {
      tip.hidden = true;
      tipFor = null;
    }
  };
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') hideTip();
  });
  // Focusing a box may scroll it into view: the tip follows its box rather than vanishing.
  let placing = false;
  const followScroll = () => {
    if (placing || tipFor === null) return;
    placing = true;
    requestAnimationFrame(() => {
      placing = false;
      placeTip();
    });
  };
  window.addEventListener('scroll', followScroll, { passive: true });
  window.addEventListener('resize', followScroll);

  const makeBox = (id) => {
    const box = h('div', {
      class: 'dag-node',
      tabindex: '0',
      dataset: { node: id },
      'aria-describedby': `node-desc-${id}`,
      on: {
        mouseenter: () => showTip(id),
        mouseleave: () => hideTip(id),
        focusin: () => showTip(id),
        focusout: () => hideTip(id),
      },
    });
    boxes.set(id, box);
    return box;
  };

  const fillBox = (id, node, canOperate) => {
    const box = boxes.get(id);
    const info = statusInfo(node.status);
    box.className = `dag-node ${statusClass(node.status)}`;
    box.dataset.status = node.status;
    box.dataset.attempts = String(node.attempts);
    box.dataset.lastAttempt = node.lastAttempt ? `${node.lastAttempt.n}:${node.lastAttempt.status}` : '';
    const err = node.lastAttempt?.error;
    box.title = err ? `${nodeTitle(id)}: ${err.code} — ${err.message}` : `${nodeTitle(id)}: ${info.label}`;
    box.setAttribute('aria-label', `${nodeTitle(id)}: ${info.label}. ${attemptSummary(node)}`);
    const focusedRetry = document.activeElement?.closest?.('.dag-retry') && box.contains(document.activeElement);
    replaceChildren(
      box,
      h('div', { class: 'dag-node-head' },
        h('span', { class: 'status-glyph', 'aria-hidden': 'true' }, info.glyph),
        h('span', { class: 'dag-node-name' }, nodeTitle(id)),
      ),
      h('div', { class: 'dag-node-status' }, info.label),
      h('div', { class: 'dag-node-attempt' }, attemptSummary(node)),
      err ? h('div', { class: 'dag-node-error' }, err.code) : null,
      canOperate && RETRYABLE_NODE.has(node.status)
        ? h('button', { type: 'button', class: 'btn btn-small btn-retry dag-retry', dataset: { node: id }, on: { click: (e) => { e.stopPropagation(); onRetry(id); } } }, 'Retry node')
        : null,
      h('div', { class: 'sr-only', id: `node-desc-${id}` }, detailLines(id, node).map(([k, v]) => `${k}: ${v}. `)),
    );
    if (focusedRetry) box.querySelector('.dag-retry')?.focus();
  };

  const drawEdges = () => {
    const base = container.getBoundingClientRect();
    edgesSvg.setAttribute('width', String(container.scrollWidth));
    edgesSvg.setAttribute('height', String(container.scrollHeight));
    const paths = edges.map(({ from, to }) => {
      const a = boxes.get(from)?.getBoundingClientRect();
      const b = boxes.get(to)?.getBoundingClientRect();
      if (!a || !b) return null;
      const x1 = a.right - base.left + container.scrollLeft;
      const y1 = a.top + a.height / 2 - base.top;
      const x2 = b.left - base.left + container.scrollLeft;
      const y2 = b.top + b.height / 2 - base.top;
      const dx = Math.max(16, (x2 - x1) / 2);
      const done = current?.nodes?.[from]?.status === 'succeeded';
      return s('path', { d: `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`, class: done ? 'edge is-done' : 'edge' });
    });
    replaceChildren(edgesSvg, paths);
  };

  new ResizeObserver(() => drawEdges()).observe(container);

  return {
    update(run, { canOperate }) {
      current = run;
      const nodes = run.nodes ?? {};
      const key = Object.entries(nodes).map(([id, n]) => `${id}<${n.deps.join(',')}`).join(';');
      if (key !== shapeKey) {
        shapeKey = key;
        const layout = layoutDag(nodes);
        edges = layout.edges;
        boxes.clear();
        columnsEl.style.setProperty('--dag-columns', String(layout.columns.length));
        replaceChildren(columnsEl, layout.columns.map((col) => h('div', { class: 'dag-column' }, col.map(makeBox))));
      }
      for (const [id, node] of Object.entries(nodes)) fillBox(id, node, canOperate);
      if (tipFor) showTip(tipFor);
      requestAnimationFrame(drawEdges);
    },
  };
}
