/**
 * DecisionCache remembers the answer to a question for a time that depends on the answer, and asks at most
 * once for concurrent askers of the same question. A question whose answer failed (threw) is not cached: the
 * next asker asks again. Bounded: past `maxEntries` the oldest entry goes, so callers that invent new keys
 * (a flood of random tokens) cost memory up to the bound and no more.
 */
export interface DecisionCacheOptions<V> {
  ttlMs(value: V): number;
  maxEntries: number;
  now?: () => number;
}

interface Entry<V> {
  value: Promise<V>;
  /** Infinity while the answer is pending. */
  expiresAt: number;
}

export class DecisionCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #ttlMs: (value: V) => number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(o: DecisionCacheOptions<V>) {
    this.#ttlMs = o.ttlMs;
    this.#max = o.maxEntries;
    this.#now = o.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached answer for `key`, or `ask()`'s, which is then kept for ttlMs(answer). */
  get(key: string, ask: () => Promise<V>): Promise<V> {
    const found = this.#entries.get(key);
    if (found && found.expiresAt > this.#now()) return found.value;
    if (found) this.#entries.delete(key);
    const entry: Entry<V> = { value: ask(), expiresAt: Number.POSITIVE_INFINITY };
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    entry.value.then(
      (v) => {
        entry.expiresAt = this.#now() + this.#ttlMs(v);
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return entry.value;
  }
}
