/**
 * RecentWrites gives a reconciler read-your-writes over an informer cache. Right after a write, the cache
 * still shows the version that was written over until the watch delivers the new one; a reconcile running
 * in between would redo the write (and repeat its Events). Remembering the server's answer until the cache
 * moves past the old version closes that gap. Versions are only compared for equality, never ordered.
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

  /** Entries expire after `ttlMs` in case the cache never moves (e.g. the object was deleted meanwhile). */
  constructor(ttlMs = 30_000, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** Records a successful write: `replaced` is the version it was computed from, `written` the answer. */
  remember(replaced: KubernetesObject | undefined, written: T): void {
    this.#entries.set(keyOf(written), {
      replaced: replaced?.metadata?.resourceVersion,
      written,
      at: this.#now(),
    });
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
}
