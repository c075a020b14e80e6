/**
 * StringPool makes cached objects share one copy of each repeated string value. JSON.parse gives every value
 * its own string, so a cache of thousands of similar objects holds thousands of copies of the same label
 * values, kinds, images and condition messages (at 3,000 Greeters, 8.5 of the 20 MiB of strings in the
 * operator's heap were duplicates: bench/operator). Property names need no help: V8 already shares those.
 *
 * Values that are unique per object (uids, resourceVersions, timestamps) are not pooled; they would only
 * grow the pool. The pool is bounded: when full it starts over, so strings of deleted objects are not kept.
 */
const UNIQUE_KEYS = new Set([
  "uid",
  "resourceVersion",
  "creationTimestamp",
  "deletionTimestamp",
  "generateName",
]);
const MAX_LENGTH = 512;

export class StringPool {
  readonly #strings = new Map<string, string>();
  readonly #max: number;

  constructor(maxEntries = 50_000) {
    this.#max = maxEntries;
  }

  intern(s: string): string {
    const known = this.#strings.get(s);
    if (known !== undefined) return known;
    if (this.#strings.size >= this.#max) this.#strings.clear();
    this.#strings.set(s, s);
    return s;
  }

  get size(): number {
    return this.#strings.size;
  }

  /** Replaces, in place, the repeated string values of a freshly decoded object with pooled copies. */
  internValues<T>(value: T): T {
    this.#walk(value);
    return value;
  }

  #walk(value: unknown): void {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v === "string") value[i] = this.#maybe(v);
        else if (typeof v === "object" && v !== null) this.#walk(v);
      }
      return;
    }
    if (typeof value !== "object" || value === null) return;
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (typeof v === "string") {
        if (!UNIQUE_KEYS.has(key) && !key.endsWith("Time")) obj[key] = this.#maybe(v);
      } else if (typeof v === "object" && v !== null) {
        this.#walk(v);
      }
    }
  }

  #maybe(s: string): string {
    return s.length > MAX_LENGTH ? s : this.intern(s);
  }
}
