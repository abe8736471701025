/**
 * The build form. Validation is the API's: a 400 names each bad field in
 * `details[].field` (e.g. `params.horizonYear`), and the message is shown
 * under that field.
 */
import { ApiError, operator } from '../lib/api.js';
import { byId, h, replaceChildren } from '../lib/dom.js';

const PARAM_FIELDS = ['company', 'focalQuestion', 'horizonYear', 'region', 'industry', 'strategies'];

function readRequest(form) {
  const value = (name) => form.elements.namedItem(name).value.trim();
  const params = {};
  for (const name of ['company', 'focalQuestion', 'region', 'industry']) {
    const v = value(name);
    if (v || name === 'company' || name === 'focalQuestion') params[name] = v;
  }
  const year = value('horizonYear');
  if (year) params.horizonYear = /^-?\d+$/.test(year) ? Number(year) : year;
  const strategies = value('strategies').split('\n').map((s) => s.trim()).filter(Boolean);
  if (strategies.length) params.strategies = strategies;
  const request = { params };
  const label = value('label');
  if (label) request.label = label;
  if (form.elements.namedItem('force').checked) request.force = true;
  return request;
}

/** `params.strategies[2]` → `strategies`; `label` → `label`; anything else → null (shown above the button). */
function fieldOf(path) {
  const parts = String(path ?? '').split(/[.[\]]+/).filter(Boolean);
  if (parts[0] === 'params' && PARAM_FIELDS.includes(parts[1])) return parts[1];
  if (parts[0] === 'label' || parts[0] === 'force') return parts[0];
  if (PARAM_FIELDS.includes(parts[0])) return parts[0];
  return null;
}

/** The API's validation messages in plainer words; anything not recognised is shown as sent. */
function humanize(path, message) {
  const text = String(message ?? 'Invalid value.');
  const rules = [
    [/expected string to have >=(\d+) characters?/, (n) => `Must be at least ${n} characters.`],
    [/expected string to have <=(\d+) characters?/, (n) => `Must be at most ${n} characters.`],
    [/expected number to be >=(\d+)/, (n) => `Must be ${n} or later.`],
    [/expected number to be <=(\d+)/, (n) => `Must be ${n} or earlier.`],
    [/expected array to have <=(\d+) items?/, (n) => `At most ${n} entries.`],
    [/expected int/, () => 'Must be a whole number.'],
    [/expected number, received/, () => 'Must be a number.'],
    [/expected string, received undefined/, () => 'Required.'],
  ];
  let out = text;
  for (const [pattern, say] of rules) {
    const m = pattern.exec(text);
    if (m) {
      out = say(m[1]);
      break;
    }
  }
  const line = /\[(\d+)\]/.exec(String(path ?? ''));
  return line ? `Line ${Number(line[1]) + 1}: ${out}` : out;
}

export function createBuildForm({ onBuilt }) {
  const form = byId('build-form');
  const formError = byId('build-error');
  const result = byId('build-result');
  const submit = byId('build-submit');

  const clearErrors = () => {
    for (const el of form.querySelectorAll('.field-error')) {
      el.hidden = true;
      el.textContent = '';
    }
    for (const el of form.querySelectorAll('[aria-invalid]')) {
      el.removeAttribute('aria-invalid');
      el.removeAttribute('aria-describedby');
    }
    form.querySelectorAll('.field.has-error').forEach((f) => f.classList.remove('has-error'));
    formError.hidden = true;
    formError.textContent = '';
  };

  const showFieldError = (name, message) => {
    const input = form.elements.namedItem(name);
    const err = document.getElementById(`e-${name}`);
    if (!input || !err) return false;
    err.textContent = err.textContent ? `${err.textContent} ${message}` : message;
    err.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', err.id);
    input.closest('.field')?.classList.add('has-error');
    return true;
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors();
    replaceChildren(result);
    submit.disabled = true;
    submit.textContent = 'Starting…';
    try {
      const { status, body } = await operator.build(readRequest(form));
      const href = `/runs/${encodeURIComponent(body.runId)}`; // same origin as this page, whatever PUBLIC_BASE_URL says
      result.className = 'action-result is-ok';
      replaceChildren(result,
        status === 200 || body?.reused ? 'An identical run already exists: ' : 'Build started: ',
        h('a', { href, id: 'build-run-link' }, 'open the run page'),
        '.');
      onBuilt?.(body);
    } catch (err) {
      if (err instanceof ApiError && err.details.length) {
        let first = null;
        for (const d of err.details) {
          const name = fieldOf(d.field);
          if (name && showFieldError(name, humanize(d.field, d.message))) first ??= name;
          else {
            formError.hidden = false;
            formError.textContent = `${formError.textContent} ${d.field ? `${d.field}: ` : ''}${d.message ?? err.message}`.trim();
          }
        }
        if (first) form.elements.namedItem(first).focus();
        if (formError.hidden && !first) {
          formError.hidden = false;
          formError.textContent = err.message;
        }
      } else {
        formError.hidden = false;
        formError.textContent = err instanceof ApiError ? err.message : String(err);
      }
    } finally {
      submit.disabled = false;
      submit.textContent = 'Start build';
    }
  });
}
