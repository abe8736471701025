/** The run's header: what was asked, where the run stands, and where its content came from. */
import { byId, h, replaceChildren } from '../lib/dom.js';
import { formatAge, formatDateTime } from '../lib/format.js';
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
  if (run.status === 'failed' && run.failure) {
    failure.hidden = false;
    const reason = String(run.failure.reason ?? '').trim();
    replaceChildren(failure, h('strong', {}, 'Run failed. '), reason && !/[.!?]$/.test(reason) ? `${reason}.` : reason,
      run.failure.node ? ' An operator can retry the failed step in the pipeline below.' : '');
  } else if (run.status === 'cancelled') {
    failure.hidden = false;
    replaceChildren(failure, h('strong', {}, 'Run cancelled. '), 'Steps that had not finished were stopped; an operator can retry a cancelled step to run them again.');
  } else {
    failure.hidden = true;
  }

  byId('synthetic-banner').hidden = llm.provider !== 'offline';
  document.body.dataset.runStatus = run.status;
}
