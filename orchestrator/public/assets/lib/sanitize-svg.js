/**
 * An SVG document (an artifact's text) → a sanitised inline <svg> element,
 * using DOMPurify's SVG profile: no scripts, no event handlers, no foreign
 * objects, no external references. The fixed width/height are dropped so the
 * drawing scales with its container (the viewBox keeps the proportions).
 */
import createDOMPurify from '../vendor/purify.es.mjs';

const purifier = createDOMPurify(window);

export function sanitizeSvg(text, { title } = {}) {
  const fragment = purifier.sanitize(String(text ?? ''), {
    USE_PROFILES: { svg: true, svgFilters: true },
    FORBID_TAGS: ['style', 'foreignObject', 'script', 'a', 'image', 'use'],
    FORBID_ATTR: ['style'],
    RETURN_DOM_FRAGMENT: true,
  });
  const svg = fragment.querySelector('svg');
  if (!svg) return null;
  if (!svg.getAttribute('viewBox')) {
    const w = parseFloat(svg.getAttribute('width') ?? '');
    const h = parseFloat(svg.getAttribute('height') ?? '');
    if (w > 0 && h > 0) svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  }
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('role', 'img');
  if (title) svg.setAttribute('aria-label', title);
  svg.classList.add('artifact-svg');
  return document.importNode(svg, true);
}
