/**
 * Escaping for user and model text in the artifacts we render. SVG is served
 * as an image but also opened directly, and report.md is rendered as HTML
 * later: neither may ever carry markup it was not written with.
 */

// XML 1.0 forbids most C0 controls even as character references.
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Text or attribute value for XML/SVG: the five entities, invalid characters dropped. */
export function escapeXml(text: string): string {
  return text
    .replace(XML_INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** HTML-significant characters as entities (safe inside Markdown that becomes HTML). */
function escapeHtmlChars(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Markdown punctuation that could turn text into links, code or emphasis. */
function escapeMarkdownPunctuation(text: string): string {
  return text.replace(/[\\`*_[\]]/g, (c) => `\\${c}`);
}

/**
 * One line of user/model text inside Markdown: whitespace collapsed, HTML and
 * link syntax neutralised, and it cannot open a heading, list or rule of its own
 * (also when it follows a list marker we wrote).
 */
export function mdInline(text: string): string {
  return escapeMarkdownPunctuation(escapeHtmlChars(text.replace(/\s+/g, ' ').trim()))
    .replace(/^([#+\-=~])/, '\\$1')
    .replace(/^(\d+)([.)])/, '$1\\$2');
}

/** A Markdown table cell: as `mdInline`, and pipes escaped. */
export function mdCell(text: string): string {
  return mdInline(text).replace(/\|/g, '\\|');
}

/**
 * A block of user/model prose: paragraphs kept, and a line can never start a
 * heading, quote, list or fence of its own.
 */
export function mdBlock(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => mdInline(p))
    .filter((p) => p !== '')
    .join('\n\n');
}
