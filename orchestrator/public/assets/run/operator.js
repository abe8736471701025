/**
 * The operator panel of the run page: key entry, resume / cancel / delete, and
 * the node retry the DAG's buttons call. Each action reports its result in a
 * live region; the page itself updates from the stream, not from the reply.
 */
import { ApiError, operator } from '../lib/api.js';
import { byId, h, replaceChildren } from '../lib/dom.js';
import { nodeTitle } from '../lib/format.js';
import { mountKeyPanel } from '../lib/key-panel.js';
import { hasKey, onKeyChange } from '../lib/key-store.js';

export function createOperatorPanel({ runId, feed, onKeyToggle, onDeleted }) {
  const result = byId('operator-result');
  const actions = byId('operator-actions');
  let run = null;
  let busy = false;

  mountKeyPanel(byId('operator-key'), { compact: true });
  // An operator's tab opens with the actions in view; a judge's keeps them folded away.
  if (hasKey()) byId('operator-details').open = true;

  const say = (kind, ...message) => {
    result.className = `action-result is-${kind}`;
    result.dataset.kind = kind;
    replaceChildren(result, ...message);
  };

  const describeError = (err) =>
    err instanceof ApiError ? `${err.message}${err.code && err.status ? ` (${err.status} ${err.code})` : ''}` : String(err);

  /** Runs one operator call; afterwards the page follows the stream again (a deleted run has none). */
  async function act(label, call, success, { follow = true } = {}) {
    if (busy) return;
    busy = true;
    render();
    say('working', `${label}…`);
    try {
      const reply = await call();
      say('ok', success(reply?.body));
      if (follow) await feed.follow();
      else feed.stop();
    } catch (err) {
      say('error', `${label} failed: ${describeError(err)}`);
    } finally {
      busy = false;
      render();
    }
  }

  const button = (id, text, { danger = false, enabled = true, onClick }) =>
    h('button', { type: 'button', id, class: ['btn', danger ? 'btn-danger' : 'btn-secondary'], disabled: busy || !enabled, on: { click: onClick } }, text);

  function render() {
    const keyed = hasKey();
    actions.hidden = !keyed;
    if (!keyed || !run) {
      replaceChildren(actions);
      return;
    }
    const status = run.status;
    const live = status === 'queued' || status === 'running';
    replaceChildren(
      actions,
      // Resume restarts a run that is not finished but has no live execution (e.g. one that died);
      // a failed or cancelled run goes on by retrying a step.
      button('action-resume', 'Resume', {
        enabled: !run.deleted && live && !run.cancelRequested,
        onClick: () => act('Resume', () => operator.resume(runId), () => 'Resume requested: a new execution picks up where the run stopped.'),
      }),
      button('action-cancel', 'Cancel', {
        enabled: !run.deleted && live && !run.cancelRequested,
        onClick: () => act('Cancel', () => operator.cancel(runId), () => 'Cancel requested: running steps stop and the run ends as cancelled.'),
      }),
      button('action-delete', 'Delete', {
        danger: true,
        enabled: !run.deleted,
        onClick: () => {
          if (!window.confirm('Delete this run? It leaves the run list and its link stops working.')) return;
          void act('Delete', () => operator.remove(runId), () => {
            run = { ...run, deleted: true };
            onDeleted?.();
            return ['Run deleted. Its link now answers 404. ', h('a', { href: '/' }, 'Back to the console')];
          }, { follow: false });
        },
      }),
    );
  }

  onKeyChange((keyed) => {
    render();
    onKeyToggle?.(keyed);
  });

  return {
    update(next) {
      run = next;
      render();
    },
    retryNode(node) {
      return act(`Retry of ${nodeTitle(node)}`, () => operator.retryNode(runId, node), () =>
        `Retry of ${nodeTitle(node)} requested: it and the steps after it run again in a new execution.`);
    },
  };
}
