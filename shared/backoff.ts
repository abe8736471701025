/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff and Jitter"): the delay before retry `n` is uniform in
 * [0, min(maxMs, baseMs · 2^(n-1))). Full jitter spreads competing writers
 * apart best, which is what every caller here needs: 412 races on one GCS
 * object, 429/503 from the store, and node retries. Pure: randomness is an argument.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** The delay before retry `retry` (1 = the first retry). */
export function fullJitterMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  const exponent = Math.min(Math.max(0, retry - 1), 30);
  return Math.floor(random() * Math.min(policy.maxMs, policy.baseMs * 2 ** exponent));
}
