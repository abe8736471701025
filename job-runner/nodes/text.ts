/** Text comparisons the method checks share: normalisation and near-duplicate detection. */

const STOPWORDS = new Set(['the', 'a', 'an', 'of', 'and', 'or', 'in', 'on', 'to', 'for', 'vs', 'versus', 'with', 'by', 'at', 'from']);

/** Lower case, punctuation folded to spaces, whitespace collapsed. */
export function normalise(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function tokens(text: string): Set<string> {
  return new Set(normalise(text).split(' ').filter((t) => t !== '' && !STOPWORDS.has(t)));
}

/** Jaccard similarity of the content words of two texts, 0..1. */
export function similarity(a: string, b: string): number {
  const ta = tokens(a);
  const tb = tokens(b);
  if (ta.size === 0 && tb.size === 0) return 1;
  let shared = 0;
  for (const t of ta) if (tb.has(t)) shared += 1;
  return shared / (ta.size + tb.size - shared);
}

/** Same words, or mostly the same words: "AI adoption speed" vs "Speed of AI adoption". */
export function nearDuplicate(a: string, b: string, threshold = 0.6): boolean {
  const na = normalise(a);
  const nb = normalise(b);
  if (na === nb) return true;
  return similarity(a, b) >= threshold;
}

/** Pairs (by index) of near-duplicate texts in a list. */
export function nearDuplicatePairs(texts: readonly string[], threshold = 0.6): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < texts.length; i += 1) {
    for (let j = i + 1; j < texts.length; j += 1) {
      if (nearDuplicate(texts[i] ?? '', texts[j] ?? '', threshold)) pairs.push([i, j]);
    }
  }
  return pairs;
}

/** True when the text names something measurable: it carries at least one digit. */
export function hasNumber(text: string): boolean {
  return /\d/.test(text);
}

/** Case- and punctuation-insensitive containment, for "does the report name X". */
export function mentions(haystack: string, needle: string): boolean {
  const n = normalise(needle);
  return n !== '' && ` ${normalise(haystack)} `.includes(` ${n} `);
}
