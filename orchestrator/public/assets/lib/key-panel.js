/**
 * The operator key form, shared by the console and the run page. The key is
 * kept for this tab only and is sent only with operator calls.
 */
import { h, replaceChildren } from './dom.js';
import { clearKey, hasKey, onKeyChange, setKey } from './key-store.js';

export function mountKeyPanel(container, { compact = false } = {}) {
  const render = () => {
    if (hasKey()) {
      replaceChildren(
        container,
        h('div', { class: 'key-set' },
          h('span', { class: 'key-dot', 'aria-hidden': 'true' }),
          h('span', {}, 'Operator key set for this tab'),
          h('button', { type: 'button', class: 'btn btn-ghost btn-small', id: 'forget-key', on: { click: () => clearKey() } }, 'Forget key'),
        ),
      );
      return;
    }
    const input = h('input', { type: 'password', id: 'api-key', name: 'apiKey', autocomplete: 'off', spellcheck: 'false', placeholder: 'API key', required: true, 'aria-describedby': 'api-key-hint' });
    const form = h('form', { class: compact ? 'key-form key-form-compact' : 'key-form', on: { submit: (e) => { e.preventDefault(); setKey(input.value); } } },
      h('label', { for: 'api-key', class: 'sr-only' }, 'API key'),
      h('div', { class: 'key-row' }, input, h('button', { type: 'submit', class: 'btn btn-primary', id: 'use-key' }, 'Use key')),
      h('p', { class: 'hint', id: 'api-key-hint' }, 'Kept for this tab only. Sent only with operator actions and the run listing — never when viewing a run.'),
    );
    replaceChildren(container, form);
  };
  onKeyChange(render);
  render();
}
