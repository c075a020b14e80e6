/**
 * RecentWrites gives a reconciler read-your-writes over an informer cache. Right after a write, the cache
 * still shows the version that was written over until the watch delivers the new one; a reconcile running
 * in between would redo the write (and repeat its Events). Remembering the server's answer until the cache
 * moves past the old version closes that gap. Versions are only compared for equality, never ordered.
 * Entries expire after a TTL, and writes sweep expired ones, so entries nobody reads again (the children of a
 * Greeter deleted before their watch event arrived) do not accumulate.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ObjectKey } from "./resource.ts";
import { keyOf } from "./store.ts";

interface Entry<T> {
  /** resourceVersion of the object the write replaced; undefined when it created the object. */
  replaced: string | undefined;
  written: T;
  at: number;
}

export class RecentWrites<T extends KubernetesObject = KubernetesObject> {
  readonly #entries = new Map<ObjectKey, Entry<T>>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  #sweptAt: number;

  /** Entries expire after `ttlMs` in case the cache never moves (e.g. the object was deleted meanwhile). */
  constructor(ttlMs = 30_000, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
    this.#sweptAt = now();
  }

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.#entries.size;
  }

  /** Records a successful write: `replaced` is the version it was computed from, `written` the answer. */
  remember(replaced: KubernetesObject | undefined, written: T): void {
    const now = this.#now();
    this.#sweep(now);
    const key = keyOf(written);
    // Re-inserted, not updated in place: the map's order stays the order of the writes, which the sweep relies on.
    this.#entries.delete(key);
    this.#entries.set(key, { replaced: replaced?.metadata?.resourceVersion, written, at: now });
  }

  /** The cached object, or our own newer write while the cache still shows what it replaced. */
  read(key: ObjectKey, cached: T | undefined): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return cached;
    if (this.#now() - entry.at <= this.#ttlMs && cached?.metadata?.resourceVersion === entry.replaced) {
      return entry.written;
    }
    this.#entries.delete(key);
    return cached;
  }

  forget(key: ObjectKey): void {
    this.#entries.delete(key);
  }

  /** At most once per TTL, so a write costs O(1) amortized; entries are in insertion (= time) order. */
  #sweep(now: number): void {
    if (now - this.#sweptAt < this.#ttlMs) return;
    this.#sweptAt = now;
    for (const [key, entry] of this.#entries) {
      if (now - entry.at <= this.#ttlMs) break;
      this.#entries.delete(key);
    }
  }
}
