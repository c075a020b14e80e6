/**
 * Store is an informer's cache: objects by "namespace/name", with optional indexes (e.g. by controller owner
 * UID or by a label value). Objects are stored as transformed on the way in (see `stripForCache`) and must be
 * treated as read-only by everyone reading them.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { type ObjectKey, objectKey } from "./resource.ts";

export type IndexFunc<T> = (obj: T) => string[];

export function keyOf(obj: KubernetesObject): ObjectKey {
  return objectKey(obj.metadata?.namespace, obj.metadata?.name ?? "");
}

/** The UID of the object's controller owner, as an index function. */
export function byControllerOwnerUid(obj: KubernetesObject): string[] {
  const owner = obj.metadata?.ownerReferences?.find((o) => o.controller);
  return owner ? [owner.uid] : [];
}

/** Index by the value of one label, namespaced ("ns/value") since label values repeat across namespaces. */
export function byLabel(label: string): IndexFunc<KubernetesObject> {
  return (obj) => {
    const v = obj.metadata?.labels?.[label];
    return v === undefined ? [] : [objectKey(obj.metadata?.namespace, v)];
  };
}

/**
 * Drops what the operator never reads but the API server always sends: managedFields (often the largest part
 * of an object) and kubectl's last-applied annotation, a second copy of the object.
 */
export function stripForCache<T extends KubernetesObject>(obj: T): T {
  const meta = obj.metadata;
  if (!meta) return obj;
  const { managedFields: _mf, ...rest } = meta;
  const annotations = meta.annotations;
  if (annotations && "kubectl.kubernetes.io/last-applied-configuration" in annotations) {
    const { "kubectl.kubernetes.io/last-applied-configuration": _la, ...others } = annotations;
    rest.annotations = others;
  }
  return { ...obj, metadata: rest };
}

export class Store<T extends KubernetesObject = KubernetesObject> {
  readonly #items = new Map<ObjectKey, T>();
  readonly #indexers = new Map<string, IndexFunc<T>>();
  readonly #indexes = new Map<string, Map<string, Set<ObjectKey>>>();

  addIndex(name: string, fn: IndexFunc<T>): this {
    this.#indexers.set(name, fn);
    const index = new Map<string, Set<ObjectKey>>();
    this.#indexes.set(name, index);
    for (const [key, obj] of this.#items) this.#indexAdd(name, fn, key, obj);
    return this;
  }

  get(key: ObjectKey): T | undefined {
    return this.#items.get(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  keys(): ObjectKey[] {
    return [...this.#items.keys()];
  }

  get size(): number {
    return this.#items.size;
  }

  byIndex(name: string, value: string): T[] {
    const index = this.#indexes.get(name);
    if (!index) throw new Error(`no index named ${name}`);
    return [...(index.get(value) ?? [])].flatMap((k) => {
      const obj = this.#items.get(k);
      return obj ? [obj] : [];
    });
  }

  /** Inserts or replaces; returns the previous object. */
  set(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.#items.get(key);
    if (old) this.#unindex(key, old);
    this.#items.set(key, obj);
    for (const [name, fn] of this.#indexers) this.#indexAdd(name, fn, key, obj);
    return old;
  }

  delete(key: ObjectKey): T | undefined {
    const old = this.#items.get(key);
    if (!old) return undefined;
    this.#unindex(key, old);
    this.#items.delete(key);
    return old;
  }

  #indexAdd(name: string, fn: IndexFunc<T>, key: ObjectKey, obj: T): void {
    const index = this.#indexes.get(name);
    if (!index) return;
    for (const v of fn(obj)) {
      const set = index.get(v) ?? new Set();
      index.set(v, set);
      set.add(key);
    }
  }

  #unindex(key: ObjectKey, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indexes.get(name);
      for (const v of fn(obj)) {
        const set = index?.get(v);
        set?.delete(key);
        if (set?.size === 0) index?.delete(v);
      }
    }
  }
}
