/**
 * Status vocabulary shared by every view. Colour is never the only signal:
 * each status also has a glyph and a word (the palette is Okabe–Ito, which
 * stays distinguishable for the common colour-vision deficiencies).
 */

const STATUS = {
  queued: { label: 'Queued', glyph: '◷' },
  pending: { label: 'Pending', glyph: '○' },
  running: { label: 'Running', glyph: '◐' },
  succeeded: { label: 'Succeeded', glyph: '✓' },
  failed: { label: 'Failed', glyph: '✕' },
  cancelled: { label: 'Cancelled', glyph: '⊘' },
  abandoned: { label: 'Abandoned', glyph: '↯' },
};

export const TERMINAL_RUN = new Set(['succeeded', 'failed', 'cancelled']);

export function statusInfo(status) {
  return STATUS[status] ?? { label: String(status ?? 'unknown'), glyph: '?' };
}

/** The CSS modifier class for a status: `is-succeeded`, `is-failed`, ... */
export function statusClass(status) {
  return `is-${STATUS[status] ? status : 'unknown'}`;
}
