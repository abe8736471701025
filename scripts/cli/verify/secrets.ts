/** Telling a credential from a name, for the checks that prove no answer shows one. */

/** Values that look like a credential rather than a name: Google API keys, our generated keys, PEM blocks, long random tokens. */
export function looksLikeSecret(value: string, knownSecrets: readonly string[] = [], options: { randomTokens?: boolean } = {}): boolean {
  if (knownSecrets.some((s) => s.length >= 8 && value.includes(s))) return true;
  if (/AIza[0-9A-Za-z_-]{20,}/.test(value)) return true;
  if (/sf_local_[A-Za-z0-9_-]{8,}/.test(value)) return true;
  if (/-----BEGIN [A-Z ]*KEY-----/.test(value)) return true;
  if (options.randomTokens === false) return false;
  // A long token of mixed letters and digits with no separators a name would have.
  return /(?=[^\s]*[0-9])(?=[^\s]*[A-Za-z])^[A-Za-z0-9_+/=-]{24,}$/.test(value);
}

/** /health fields that may legitimately hold a long token (a git SHA as the version). */
const VERSION_FIELDS = new Set(['version', 'pipeline_version']);

/** The /health fields whose value looks like a key (names only: the values are never printed). */
export function secretLookingFields(body: Record<string, unknown>, knownSecrets: readonly string[]): string[] {
  return Object.entries(body)
    .filter(([field, value]) => stringsOf(value).some((v) => looksLikeSecret(v, knownSecrets, { randomTokens: !VERSION_FIELDS.has(field) })))
    .map(([field]) => field);
}

function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) stringsOf(v, out);
  return out;
}
