/**
 * The tenant's runs, newest first, one page at a time. The API's cursor only
 * goes forward, so the cursors of the pages already seen are kept to go back.
 * A live run nobody is working on gets a "Stalled" badge: the listing carries
 * no executions, so each unfinished run on the page has its public run.json
 * read once (a page holds at most PAGE_SIZE runs).
 */
import { fetchRun, operator } from '../lib/api.js';
import { byId, h, replaceChildren } from '../lib/dom.js';
import { formatAge, formatDateTime } from '../lib/format.js';
import { hasKey } from '../lib/key-store.js';
import { liveness } from '../lib/liveness.js';
import { TERMINAL_RUN } from '../lib/status.js';
import { statusBadge } from '../run/header.js';

const PAGE_SIZE = 10;

export function createRunsTable() {
  const body = byId('runs-body');
  const newer = byId('runs-newer');
  const older = byId('runs-older');
  const pageLabel = byId('runs-page');
  const statusFilter = byId('runs-status');
  const pager = byId('runs-pager');
  let cursors = [null]; // cursors[i] fetches page i
  let page = 0;
  let next = null;
  let loading = false;

  /** Marks the rows of live runs that are stalled (or being recovered), once their run.json is read. */
  const markLiveness = (runs) =>
    Promise.all(runs.filter((r) => !TERMINAL_RUN.has(r.status)).map(async (r) => {
      let run;
      try {
        ({ run } = await fetchRun(r.runId));
      } catch {
        return; // the badge is a hint; the list stands without it
      }
      const l = liveness(run, { maxExecutions: Number(document.body.dataset.runMaxExecutions) || undefined });
      const cell = body.querySelector(`tr[data-run-id="${CSS.escape(r.runId)}"] td`);
      if (!cell || (l.state !== 'stalled' && l.state !== 'recovering')) return;
      cell.closest('tr').dataset.liveness = l.state;
      cell.append(h('span', { class: ['badge', `is-${l.state}`], title: l.text, dataset: { liveness: l.state } },
        h('span', { class: 'status-glyph', 'aria-hidden': 'true' }, l.state === 'stalled' ? '⚠' : '↻'), l.state === 'stalled' ? 'Stalled' : 'Recovering'));
    }));

  const row = (r) => {
    const progress = r.progress ? `${r.progress.done}/${r.progress.total}` : '';
    return h('tr', { dataset: { runId: r.runId, status: r.status } },
      h('td', {}, statusBadge(r.status)),
      h('td', {}, h('a', { href: `/runs/${encodeURIComponent(r.runId)}`, class: 'run-link' }, r.label || r.runId), h('div', { class: 'run-id' }, r.runId)),
      h('td', { class: 'num' }, progress),
      h('td', {}, h('time', { datetime: r.createdAt, title: formatDateTime(r.createdAt) }, formatAge(r.createdAt))),
      h('td', { class: 'muted' }, h('time', { datetime: r.updatedAt, title: formatDateTime(r.updatedAt) }, formatAge(r.updatedAt))),
    );
  };

  async function load() {
    if (!hasKey()) {
      replaceChildren(body, h('p', { class: 'empty' }, 'Enter your API key above to list your runs.'));
      newer.disabled = older.disabled = true;
      pageLabel.textContent = '';
      pager.hidden = true;
      return;
    }
    if (loading) return;
    loading = true;
    pager.hidden = false;
    body.setAttribute('aria-busy', 'true');
    try {
      const { body: reply } = await operator.listRuns({ limit: PAGE_SIZE, cursor: cursors[page], status: statusFilter.value });
      const runs = Array.isArray(reply?.runs) ? reply.runs : [];
      next = reply?.nextCursor ?? reply?.cursor ?? null;
      replaceChildren(
        body,
        runs.length === 0
          ? h('p', { class: 'empty' }, page === 0 ? 'No runs yet. Start a build with the form.' : 'No more runs.')
          : h('table', { class: 'data-table runs-table', id: 'runs-table' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Run'), h('th', { scope: 'col', class: 'num' }, 'Steps'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Updated'))),
            h('tbody', {}, runs.map(row))),
      );
      pageLabel.textContent = `Page ${page + 1}`;
      void markLiveness(runs);
    } catch (err) {
      next = null;
      replaceChildren(body, h('p', { class: 'empty is-error', role: 'alert' }, `Could not list runs: ${err.message}`));
    } finally {
      loading = false;
      body.removeAttribute('aria-busy');
      newer.disabled = page === 0;
      older.disabled = !next;
    }
  }

  const reset = () => {
    cursors = [null];
    page = 0;
    return load();
  };

  newer.addEventListener('click', () => {
    if (page > 0) {
      page -= 1;
      void load();
    }
  });
  older.addEventListener('click', () => {
    if (!next) return;
    cursors[page + 1] = next;
    page += 1;
    void load();
  });
  statusFilter.addEventListener('change', () => void reset());
  byId('runs-refresh').addEventListener('click', () => void load());

  return { load, reset };
}
