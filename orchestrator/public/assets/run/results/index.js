/**
 * Loads and renders each result section when the nodes it shows have
 * succeeded, and again only when one of them ran another attempt. A section
 * whose nodes are not (or no longer) done shows why it is waiting.
 */
import { byId, h, replaceChildren } from '../../lib/dom.js';
import { nodeTitle } from '../../lib/format.js';
import { driversSection } from './drivers.js';
import { matrixSection } from './matrix.js';
import { reportSection } from './report.js';
import { scenarioSection } from './scenarios.js';
import { windTunnelSection } from './wind-tunnel.js';

const SCENARIOS = ['scenario_c', 'scenario_d', 'scenario_a', 'scenario_b']; // matrix order: top row first

function waitingText(run, requires) {
  const id = requires.find((n) => run.nodes?.[n]?.status !== 'succeeded');
  const status = run.nodes?.[id]?.status;
  const name = nodeTitle(id ?? '');
  if (!status) return `${name} is not part of this run.`;
  if (status === 'running') return `${name} is running…`;
  if (status === 'failed') return `${name} failed, so this is not available. See the pipeline above.`;
  if (status === 'cancelled') return `${name} was cancelled before it finished.`;
  if (run.status === 'failed' || run.status === 'cancelled') return `Not produced: the run stopped before ${name}.`;
  return `Waiting for ${name}.`;
}

function placeholder(section, text) {
  if (section.id.startsWith('scenario_')) {
    return h('article', { class: 'scenario-card is-placeholder', dataset: { scenario: section.id } },
      h('header', { class: 'scenario-head' }, h('span', { class: 'quadrant-tag' }, section.id.replace('scenario_', '').toUpperCase()), h('h3', { class: 'scenario-name muted' }, nodeTitle(section.id))),
      h('p', { class: 'empty' }, text));
  }
  return h('p', { class: 'empty' }, text);
}

export function createResults(runId) {
  const sections = [matrixSection, ...SCENARIOS.map(scenarioSection), driversSection, windTunnelSection, reportSection(runId)];
  const state = new Map();

  const keyOf = (section, run) =>
    [...section.requires, ...(section.optional ?? [])]
      .map((n) => `${n}:${run.nodes?.[n]?.status}:${run.nodes?.[n]?.lastAttempt?.n ?? 0}`)
      .join('|');

  const slotOf = (section) => byId(section.slot ?? `${section.id}-body`);

  return {
    update(run) {
      for (const section of sections) {
        const st = state.get(section.id) ?? {};
        state.set(section.id, st);
        const ready = section.requires.every((n) => run.nodes?.[n]?.status === 'succeeded');
        const key = `${keyOf(section, run)}|${ready ? 'ready' : run.status}`;
        if (st.key === key) continue;
        st.key = key;
        const slot = slotOf(section);
        if (!ready) {
          st.token = null;
          slot.dataset.state = 'waiting';
          replaceChildren(slot, placeholder(section, waitingText(run, section.requires)));
          continue;
        }
        const token = {};
        st.token = token;
        slot.setAttribute('aria-busy', 'true');
        section
          .load(runId, run)
          .then((data) => {
            if (st.token !== token) return;
            replaceChildren(slot, section.render(data));
            slot.dataset.state = 'ready';
          })
          .catch((err) => {
            if (st.token !== token) return;
            st.key = null; // try again on the next update
            slot.dataset.state = 'error';
            replaceChildren(slot, h('p', { class: 'empty is-error' }, `Could not load this result: ${err instanceof Error ? err.message : String(err)}`));
          })
          .finally(() => {
            if (st.token === token) slot.removeAttribute('aria-busy');
          });
      }
    },
  };
}
