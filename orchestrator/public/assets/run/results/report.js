/**
 * The executive report: report.md rendered with marked and sanitised with
 * DOMPurify, beside a contents list of its sections. It is long (it retells
 * every scenario), so it opens as a preview that expands in place.
 */
import { artifactUrl, fetchArtifactText } from '../../lib/api.js';
import { h } from '../../lib/dom.js';
import { renderMarkdown } from '../../lib/markdown.js';

export function reportSection(runId) {
  return {
    id: 'report',
    requires: ['report'],
    load: () => fetchArtifactText(runId, 'report.md'),
    render: (markdown) => {
      const article = h('article', { class: 'prose', id: 'report-article' }, renderMarkdown(markdown, { resolve: (name) => artifactUrl(runId, name) }));
      const frame = h('div', { class: 'report-frame is-collapsed', id: 'report-frame' }, article);
      const toggle = h('button', { type: 'button', class: 'btn btn-secondary', 'aria-controls': 'report-frame', 'aria-expanded': 'false' }, 'Read the full report');
      const setCollapsed = (collapsed) => {
        frame.classList.toggle('is-collapsed', collapsed);
        toggle.setAttribute('aria-expanded', String(!collapsed));
        toggle.textContent = collapsed ? 'Read the full report' : 'Show less';
      };
      toggle.addEventListener('click', () => {
        const collapse = !frame.classList.contains('is-collapsed');
        setCollapsed(collapse);
        if (collapse) frame.scrollIntoView({ block: 'start' });
      });

      // Contents: the report's sections, each expanding the report and jumping there.
      const headings = [...article.querySelectorAll('h2')];
      headings.forEach((el, i) => {
        el.id = `report-section-${i + 1}`;
      });
      const contents = headings.length
        ? h('nav', { class: 'report-toc', 'aria-label': 'Report contents' },
          h('p', { class: 'eyebrow' }, 'Contents'),
          h('ol', {}, headings.map((el) => h('li', {}, h('a', {
            href: `#${el.id}`,
            on: { click: () => setCollapsed(false) },
          }, el.textContent ?? '')))))
        : null;

      return h('div', { class: 'report-layout' },
        h('div', { class: 'report-main' },
          frame,
          h('p', { class: 'report-actions' }, toggle, h('a', { class: 'btn btn-ghost', href: artifactUrl(runId, 'report.md'), download: 'report.md' }, 'Download report.md')),
        ),
        contents,
      );
    },
  };
}
