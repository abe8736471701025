/**
 * Markdown → sanitised DOM. marked renders, DOMPurify removes anything
 * executable (scripts, event handlers, javascript: URLs) and inline styles
 * (the CSP forbids them anyway). Relative image and link targets are resolved
 * by the caller, so a report's `![matrix](scenario-matrix.svg)` points at the
 * run's artifact route.
 */
import { Marked } from '../vendor/marked.esm.js';
import createDOMPurify from '../vendor/purify.es.mjs';

const marked = new Marked({ gfm: true, breaks: false, async: false });
const purifier = createDOMPurify(window);

let resolveRelative = null;

const isRelative = (url) => Boolean(url) && !/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('/') && !url.startsWith('#');

purifier.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'IMG') {
    const src = node.getAttribute('src');
    if (src && isRelative(src) && resolveRelative) node.setAttribute('src', resolveRelative(src));
    node.setAttribute('loading', 'lazy');
  }
  if (node.tagName === 'A') {
    const href = node.getAttribute('href');
    if (href && isRelative(href) && resolveRelative) node.setAttribute('href', resolveRelative(href));
    if (href && /^https?:/i.test(href)) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  }
});

/** Renders Markdown to a sanitised DocumentFragment. `resolve(relativeUrl)` maps relative links and images. */
export function renderMarkdown(markdown, { resolve } = {}) {
  const html = marked.parse(String(markdown ?? ''));
  resolveRelative = resolve ?? null;
  try {
    return purifier.sanitize(html, {
      USE_PROFILES: { html: true },
      FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'],
      FORBID_ATTR: ['style'],
      RETURN_DOM_FRAGMENT: true,
    });
  } finally {
    resolveRelative = null;
  }
}
