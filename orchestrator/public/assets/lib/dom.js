/**
 * Tiny DOM builders. Text always goes in through `textContent` (strings passed
 * as children become text nodes), never through innerHTML, so user and model
 * text can never become markup.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Sets attributes and properties on an element.
 * - `class`: string or array (falsy entries dropped)
 * - `dataset`: object of data-* values
 * - `on`: object of event listeners
 * - `style`: object of CSS properties (set through the CSSOM, which the CSP allows)
 * - `text`: textContent
 * - anything else: setAttribute (null/undefined/false skip it, true sets "")
 */
function assign(el, attrs) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') {
      const cls = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      if (cls) el.setAttribute('class', cls);
    } else if (name === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) el.dataset[k] = String(v);
    } else if (name === 'on') {
      for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
    } else if (name === 'style') {
      for (const [prop, v] of Object.entries(value)) el.style.setProperty(prop, String(v));
    } else if (name === 'text') {
      el.textContent = String(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element: h('p', { class: 'lead' }, 'text', otherNode). */
export function h(tag, attrs = {}, ...children) {
  return append(assign(document.createElement(tag), attrs), children);
}

/** An SVG element, same calling convention as `h`. */
export function s(tag, attrs = {}, ...children) {
  return append(assign(document.createElementNS(SVG_NS, tag), attrs), children);
}

/** Replaces an element's children. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Looks an element up by id and fails loudly when the page does not have it. */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page has no #${id}`);
  return el;
}
