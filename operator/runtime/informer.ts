/**
 * Informer mirrors one resource type (in some namespaces, or all, optionally label-selected) into a Store and
 * tells handlers what changed. It runs one Watcher per namespace. It is synced once every watcher delivered a
 * full list, and fresh while every watch proved alive within `staleAfterMs`: the basis of /readyz.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { resourceLabel } from "./resource.ts";
import type { ResourceClient } from "./resource-client.ts";
import { shareUnchanged } from "./share-unchanged.ts";
import { keyOf, Store, stripForCache } from "./store.ts";
import type { StringPool } from "./string-pool.ts";
import { type WatchEventType, Watcher, type WatcherOptions } from "./watcher.ts";

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
  /** After a full (re)list, including when the type appeared or vanished; per-object calls came first. */
  onRelist?(): void;
}

export interface InformerOptions<T> extends Omit<WatcherOptions, "namespace" | "log"> {
  /** Empty or undefined: all namespaces. */
  namespaces?: readonly string[] | undefined;
  /** Applied to every object before it is cached; defaults to stripForCache. */
  transform?: (obj: T) => T;
  /** Default: 1.2 × the watch silence timeout. */
  staleAfterMs?: number;
  /** Repeated string values of cached objects are shared through this pool (informers may share one). */
  strings?: StringPool;
  /** Names this cache in logs and readiness checks; default: the resource, e.g. "deployments.apps". */
  name?: string;
  log?: Logger | undefined;
}

export class Informer<T extends KubernetesObject = KubernetesObject> {
  readonly store = new Store<T>();
  readonly resource: string;
  readonly name: string;
  readonly #watchers: Watcher<T>[];
  readonly #handlers = new Set<InformerHandlers<T>>();
  readonly #transform: (obj: T) => T;
  readonly #staleAfterMs: number;
  readonly #log: Logger | undefined;

  constructor(client: ResourceClient<T>, options: InformerOptions<T> = {}) {
    this.resource = resourceLabel(client.type);
    this.name = options.name ?? this.resource;
    const transform = options.transform ?? stripForCache;
    const strings = options.strings;
    this.#transform = strings ? (obj) => strings.internValues(transform(obj)) : transform;
    this.#staleAfterMs = options.staleAfterMs ?? (options.silenceTimeoutMs ?? 150_000) * 1.2;
    this.#log = options.log;
    const namespaces =
      client.type.namespaced && options.namespaces?.length ? options.namespaces : [undefined];
    this.#watchers = namespaces.map(
      (namespace) => new Watcher(client, this.#sinkFor(namespace), { ...options, namespace, log: this.#log }),
    );
  }

  /** Registers handlers; returns a function that removes them. */
  addHandlers(handlers: InformerHandlers<T>): () => void {
    this.#handlers.add(handlers);
    return () => this.#handlers.delete(handlers);
  }

  start(): void {
    for (const w of this.#watchers) w.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#watchers.map((w) => w.stop()));
  }

  get hasSynced(): boolean {
    return this.#watchers.every((w) => w.synced);
  }

  /** Synced, and every watch proved alive recently. */
  isFresh(): boolean {
    return this.hasSynced && this.#watchers.every((w) => w.silenceMs < this.#staleAfterMs);
  }

  /** True when the resource type is not served (e.g. its CRD is not installed). */
  get absent(): boolean {
    return this.#watchers.every((w) => w.state === "absent");
  }

  #sinkFor(namespace: string | undefined) {
    return {
      prepare: (raw: T) => this.#transform(raw),
      replace: (items: T[]) => {
        const seen = new Set<string>();
        for (const obj of items) {
          seen.add(keyOf(obj));
          this.#upsert(obj);
        }
        for (const old of this.store.list()) {
          const key = keyOf(old);
          if (seen.has(key) || (namespace !== undefined && old.metadata?.namespace !== namespace)) continue;
          this.store.delete(key);
          this.#emit((h) => h.onDelete?.(old));
        }
        this.#emit((h) => h.onRelist?.());
      },
      event: (type: WatchEventType, raw: T) => {
        const obj = this.#transform(raw);
        if (type === "DELETED") {
          const old = this.store.delete(keyOf(obj));
          this.#emit((h) => h.onDelete?.(old ?? obj));
        } else {
          this.#upsert(obj);
        }
      },
    };
  }

  #upsert(fresh: T): void {
    const previous = this.store.get(keyOf(fresh));
    // Unchanged parts are taken from the version it replaces, so only what changed outlives this event.
    const obj = previous ? shareUnchanged(previous, fresh) : fresh;
    const old = this.store.set(obj);
    if (!old) this.#emit((h) => h.onAdd?.(obj));
    // Same resourceVersion after a relist means nothing changed; equality is the only comparison allowed.
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
      this.#emit((h) => h.onUpdate?.(old, obj));
  }

  #emit(call: (h: InformerHandlers<T>) => void): void {
    for (const h of this.#handlers) {
      try {
        call(h);
      } catch (err) {
        this.#log?.error({ err, resource: this.resource }, "informer handler threw");
      }
    }
  }
}
