/** The run's header: what was asked, where the run stands, and where its content came from. */
import { byId, h, replaceChildren } from '../lib/dom.js';
import { formatAge, formatDateTime } from '../lib/format.js';
import { DEFAULT_MAX_EXECUTIONS, describeExecution, failureSummary, liveness } from '../lib/liveness.js';
import { statusClass, statusInfo } from '../lib/status.js';

export function statusBadge(status, extraClass = '') {
  const info = statusInfo(status);
  return h('span', { class: ['badge', statusClass(status), extraClass], dataset: { status } },
    h('span', { class: 'status-glyph', 'aria-hidden': 'true' }, info.glyph), info.label);
}

function metaItem(term, ...value) {
  return h('div', { class: 'meta-item' }, h('dt', {}, term), h('dd', {}, ...value));
}

function time(iso) {
  return h('time', { datetime: iso ?? '', title: formatDateTime(iso) }, formatDateTime(iso));
}

export function renderHeader(run) {
  const p = run.params ?? {};
  const title = run.label || p.company || 'Scenario run';
  document.title = `${title} · ScenarioForge`;
  byId('run-title').textContent = title;
  replaceChildren(byId('run-status'), statusBadge(run.status, 'badge-large'));
  byId('run-question').textContent = p.focalQuestion ?? '';

  const llm = run.llm ?? {};
  replaceChildren(
    byId('run-meta'),
    metaItem('Company', p.company ?? '—'),
    metaItem('Horizon', String(p.horizonYear ?? '—')),
    p.region ? metaItem('Region', p.region) : null,
    p.industry ? metaItem('Industry', p.industry) : null,
    metaItem('Created', time(run.createdAt)),
    metaItem('Updated', time(run.updatedAt), h('span', { class: 'muted' }, ` (${formatAge(run.updatedAt)})`)),
    metaItem('Model', llm.provider === 'offline' ? h('span', { title: llm.model ?? '' }, 'Offline library') : `${llm.provider === 'gemini' ? 'Gemini' : llm.provider ?? '—'} · ${llm.model ?? '—'}`),
    metaItem('Versions', `app ${run.appVersion || '—'} · pipeline ${run.pipelineVersion || '—'}`),
    metaItem('Run id', h('code', {}, run.runId)),
  );

  const done = run.progress?.done ?? 0;
  const total = run.progress?.total ?? 0;
  const bar = byId('progress');
  bar.setAttribute('aria-valuenow', String(done));
  bar.setAttribute('aria-valuemax', String(total));
  bar.setAttribute('aria-valuetext', `${done} of ${total} steps done`);
  bar.className = `progress ${statusClass(run.status)}`;
  byId('progress-fill').style.width = `${total ? (100 * done) / total : 0}%`;
  byId('progress-label').textContent = `${done} / ${total} steps`;

  const failure = byId('run-failure');
  const failed = failureSummary(run);
  if (failed) {
    failure.hidden = false;
    failure.dataset.code = failed.code;
    const reason = failed.reason && !/[.!?]$/.test(failed.reason) ? `${failed.reason}.` : failed.reason;
    replaceChildren(failure, h('strong', {}, `Run failed: ${failed.label}. `), reason,
      failed.node ? ' An operator can retry the failed step in the pipeline below.' : '');
  } else if (run.status === 'cancelled') {
    failure.hidden = false;
    delete failure.dataset.code;
    replaceChildren(failure, h('strong', {}, 'Run cancelled. '), 'Steps that had not finished were stopped; an operator can retry a cancelled step to run them again.');
  } else {
    failure.hidden = true;
  }

  byId('synthetic-banner').hidden = llm.provider !== 'offline';
  document.body.dataset.runStatus = run.status;
}

/** RUN_MAX_EXECUTIONS, which the server writes into the page's body. */
export function maxExecutions() {
  const n = Number(document.body.dataset.runMaxExecutions);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_EXECUTIONS;
}

/**
 * Whether anyone is working on the run, from run.json and the clock: the last
 * heartbeat while healthy, "Stalled since …" once the lease expired unrenewed.
 * Redrawn every second while the run is live (ages move on their own).
 */
export function renderLiveness(run, now = Date.now()) {
  const el = byId('run-liveness');
  const l = liveness(run, { now, maxExecutions: maxExecutions() });
  const terminal = l.state === 'succeeded' || l.state === 'failed' || l.state === 'cancelled';
  el.hidden = terminal;
  el.dataset.state = l.state;
  document.body.dataset.liveness = l.state;
  if (!terminal) {
    const glyph = l.state === 'stalled' ? '⚠' : l.state === 'recovering' ? '↻' : '●';
    replaceChildren(el, h('span', { class: 'liveness-glyph', 'aria-hidden': 'true' }, glyph), h('span', { class: 'liveness-text' }, l.text));
  }
  renderExecutions(run, now);
}

/** Every execution of the run, with how it ended: a lost one with the reconciler's reason. */
function renderExecutions(run, now) {
  const el = byId('run-executions');
  const executions = run.executions ?? [];
  // One execution that went well needs no list; a recovery, a retry or a stall does.
  const worthShowing = executions.length > 1 || executions.some((x) => x.outcome === 'lost' || x.endReason);
  el.hidden = !worthShowing;
  if (!worthShowing) return;
  replaceChildren(el,
    h('h2', { class: 'executions-title' }, 'Executions'),
    h('ol', { class: 'executions-list' }, executions.map((x, i) => {
      const d = describeExecution(x, i, run, now);
      return h('li', { class: ['execution', `is-${d.status}`], dataset: { executionId: x.id, status: d.status } },
        h('span', { class: 'execution-head' }, d.head),
        h('span', { class: 'execution-text' }, d.text),
        h('time', { class: 'execution-time muted', datetime: x.requestedAt ?? '' }, formatDateTime(x.requestedAt)));
    })));
}
