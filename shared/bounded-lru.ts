/**
 * A least-recently-used map bounded by entry count and, optionally, by a
 * weight (bytes): the one cache shape every process-local cache here uses.
 * Reads refresh an entry; inserting past either bound evicts the oldest.
 */
export interface LruOptions<V> {
  maxEntries: number;
  /** Upper bound on the sum of `weigh(value)`; default unbounded. */
  maxWeight?: number;
  weigh?: (value: V) => number;
}

export class BoundedLru<K, V> {
  readonly #map = new Map<K, { value: V; weight: number }>();
  readonly #options: LruOptions<V>;
  #weight = 0;

  constructor(options: LruOptions<V>) {
    if (!(options.maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
    this.#options = options;
  }

  get size(): number {
    return this.#map.size;
  }

  /** Sum of the weights held. */
  get weight(): number {
    return this.#weight;
  }

  get(key: K): V | undefined {
    const entry = this.#map.get(key);
    if (!entry) return undefined;
    this.#map.delete(key);
    this.#map.set(key, entry);
    return entry.value;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): this {
    this.delete(key);
    const weight = this.#options.weigh?.(value) ?? 0;
    this.#map.set(key, { value, weight });
    this.#weight += weight;
    this.#evict();
    return this;
  }

  delete(key: K): boolean {
    const entry = this.#map.get(key);
    if (!entry) return false;
    this.#map.delete(key);
    this.#weight -= entry.weight;
    return true;
  }

  clear(): void {
    this.#map.clear();
    this.#weight = 0;
  }

  keys(): IterableIterator<K> {
    return this.#map.keys();
  }

  #evict(): void {
    const maxWeight = this.#options.maxWeight ?? Infinity;
    while (this.#map.size > this.#options.maxEntries || (this.#weight > maxWeight && this.#map.size > 1)) {
      const oldest = this.#map.keys().next();
      if (oldest.done) return;
      this.delete(oldest.value);
    }
  }
}
