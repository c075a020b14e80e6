/**
 * shareUnchanged lets a cache's new version of an object reuse the parts that did not change from the version
 * it replaces. Most watch events change little: the five or so status updates the controller manager makes to
 * each new Deployment leave its spec, labels, owners and managedFields as they were. Without sharing, each
 * event's freshly decoded copy of those parts lives on in the cache while the previous copy dies; V8 counts
 * every byte that outlives a young-generation collection, and enough of them make it grow the young
 * generation to its maximum (128 MiB on a host without a memory limit), which is most of the operator's
 * peak RSS while it converges (docs/operator-performance.md). With sharing, only the changed parts of an
 * update survive, and the unchanged parts of the new copy die young.
 *
 * Cached objects are read-only (store.ts), so two versions may share subtrees. `next` must be freshly decoded
 * and not yet seen by anyone: it is modified in place.
 */
export function shareUnchanged<T>(previous: T, next: T): T {
  return share(previous, next) as T;
}

function share(a: unknown, b: unknown): unknown {
  // Equal primitives included: an unchanged string keeps the previous version's copy.
  if (a === b) return a;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return b;
    let same = a.length === b.length;
    for (let i = 0; i < b.length; i++) {
      const v = i < a.length ? share(a[i], b[i]) : b[i];
      if (v !== a[i]) same = false;
      b[i] = v;
    }
    return same ? a : b;
  }
  const proto = Object.getPrototypeOf(a);
  if (proto !== Object.getPrototypeOf(b)) return b;
  // A class instance (e.g. a cache transform's packed field list) is not taken apart: it is the previous one only
  // when every own field is identical (strings by content), which costs no copy, unlike serializing both.
  if (proto !== Object.prototype && proto !== null) return sameOwnFields(a, b) ? a : b;
  const prev = a as Record<string, unknown>;
  const obj = b as Record<string, unknown>;
  const keys = Object.keys(obj);
  let same = keys.length === Object.keys(prev).length;
  for (const k of keys) {
    if (!Object.hasOwn(prev, k)) {
      same = false;
      continue;
    }
    const v = share(prev[k], obj[k]);
    if (v !== prev[k]) same = false;
    obj[k] = v;
  }
  return same ? a : b;
}

function sameOwnFields(a: object, b: object): boolean {
  const prev = a as Record<string, unknown>;
  const obj = b as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length !== Object.keys(prev).length) return false;
  return keys.every((k) => Object.hasOwn(prev, k) && prev[k] === obj[k]);
}
