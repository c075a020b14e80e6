/**
 * needsApply decides whether a desired child differs from the observed one on the fields the operator owns.
 * The observed object carries server defaults (strategy, imagePullPolicy, clusterIP, …), so desired is compared
 * as a subset of observed, with quantities compared by value ("0.5" == "500m"). Two checks catch fields the
 * operator must remove, which a subset test cannot see: fields our field manager owns (managedFields) that are
 * no longer desired, and maps/lists that only the operator writes (exactPaths), for caches that strip managedFields.
 *
 * What others add (a webhook's env var, another manager's toleration) can make that check say "differs" for
 * ever, as reapplying does not take it away. applyFingerprint names one apply and what the server answered, so
 * the caller can tell that case from drift (see SsaCache).
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { FIELD_MANAGER } from "../api/v1alpha1/constants.ts";
import { quantitiesEqual } from "../api/v1alpha1/quantity.ts";
import { fieldsJson, fieldsTree } from "./packed-fields.ts";

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * True when every field of desired is present in observed with an equal value. Lists must match in length.
 * It runs on every reconcile, resyncs included, for every field of every child, so it allocates nothing: no
 * path strings, no entry arrays.
 */
export function isSubset(desired: Json, observed: Json): boolean {
  return subset(desired, observed, undefined, undefined, undefined);
}

/** key is desired's key in its parent object (undefined for a list item); parent and grand the two above it. */
function subset(desired: Json, observed: Json, key?: string, parent?: string, grand?: string): boolean {
  // A quantity is any value at resources.requests.<name> or resources.limits.<name>.
  if (
    key !== undefined &&
    grand === "resources" &&
    (parent === "requests" || parent === "limits") &&
    quantitiesEqual(desired, observed)
  )
    return true;
  if (Array.isArray(desired)) {
    if (!Array.isArray(observed) || desired.length !== observed.length) return false;
    for (let i = 0; i < desired.length; i++) {
      if (!subset(desired[i], observed[i], undefined, undefined, undefined)) return false;
    }
    return true;
  }
  if (isObject(desired)) {
    if (!isObject(observed)) return false;
    for (const k in desired) {
      const value = desired[k];
      if (value !== undefined && !subset(value, observed[k], k, key, parent)) return false;
    }
    return true;
  }
  return desired === observed;
}

// The callers' paths are constants (EXACT_PATHS), so each is parsed once: a key, or a list index.
const parsedPaths = new Map<string, readonly (string | number)[]>();
const parsePath = (path: string) => {
  let parts = parsedPaths.get(path);
  if (!parts) {
    parts = path.split(/\.|(?=\[)/).map((part) => {
      const index = /^\[(\d+)\]$/.exec(part);
      return index ? Number(index[1]) : part;
    });
    parsedPaths.set(path, parts);
  }
  return parts;
};

/** The value at a dotted path with [i] indexes, e.g. "spec.template.spec.containers[0].resources". */
export function valueAt(obj: Json, path: string): Json {
  let current = obj;
  for (const part of parsePath(path)) {
    if (typeof part === "number") current = Array.isArray(current) ? current[part] : undefined;
    else current = isObject(current) ? current[part] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

const isEmpty = (v: Json) =>
  v === undefined ||
  v === null ||
  (Array.isArray(v) && v.length === 0) ||
  (isObject(v) && Object.keys(v).length === 0);

/** True when observed has something at path that desired no longer has (a removed key or a whole map/list). */
function hasUndesiredAt(desired: Json, observed: Json, path: string): boolean {
  const want = valueAt(desired, path);
  const have = valueAt(observed, path);
  if (isEmpty(want)) return !isEmpty(have);
  if (isObject(want) && isObject(have)) return Object.keys(have).some((k) => !(k in want));
  return false;
}

const ourApplyEntry = (observed: KubernetesObject, manager = FIELD_MANAGER) =>
  observed.metadata?.managedFields?.find(
    (e) => e.manager === manager && e.operation === "Apply" && !e.subresource,
  );

/** True when our field manager's managedFields entry lists a field that desired no longer sets. */
export function ownsUndesiredFields(
  observed: KubernetesObject,
  desired: Json,
  manager = FIELD_MANAGER,
): boolean {
  const fields = fieldsTree(ourApplyEntry(observed, manager)?.fieldsV1);
  return fields !== undefined && ownedNotIn(fields, desired);
}

const NOTHING: Record<string, Json> = Object.freeze({});

function ownedNotIn(fields: Record<string, Json>, desired: Json): boolean {
  // for...in, not Object.entries: a decoded fieldsV1 is a plain object with a few hundred keys per Deployment.
  for (const key in fields) {
    const sub = fields[key];
    const nested = isObject(sub) ? sub : NOTHING;
    if (key.startsWith("f:")) {
      const name = key.slice(2);
      if (!isObject(desired) || desired[name] === undefined) return true;
      if (ownedNotIn(nested, desired[name])) return true;
    } else if (key.startsWith("k:")) {
      const keyFields = JSON.parse(key.slice(2)) as Record<string, Json>;
      const item = Array.isArray(desired)
        ? desired.find(
            (d) => isObject(d) && Object.entries(keyFields).every(([k, v]) => String(d[k]) === String(v)),
          )
        : undefined;
      if (item === undefined || ownedNotIn(nested, item)) return true;
    } else if (key.startsWith("v:")) {
      const value = JSON.stringify(JSON.parse(key.slice(2)));
      if (!Array.isArray(desired) || !desired.some((d) => JSON.stringify(d) === value)) return true;
    }
  }
  return false;
}

export function needsApply(
  desired: KubernetesObject,
  observed: KubernetesObject | undefined,
  exactPaths: readonly string[] = [],
): boolean {
  if (observed === undefined) return true;
  if (!isSubset(desired, observed)) return true;
  if (exactPaths.some((path) => hasUndesiredAt(desired, observed, path))) return true;
  return ownsUndesiredFields(observed, desired);
}

/**
 * A fingerprint of `desired` applied to the object `observed` as it stands: its uid, the body, and the fields
 * our field manager owns there. Any writer that changes a value we own takes the field from us (an update
 * takes ownership; another manager's forced apply does too), so the fingerprint moves on drift, on a new
 * desired body and on a replaced object, and stays put while others only add fields of their own.
 * Undefined when there is nothing to fingerprint (no object, no uid, no entry of ours).
 */
export function applyFingerprint(desired: KubernetesObject, observed: KubernetesObject | undefined) {
  const uid = observed?.metadata?.uid;
  const fields = observed && fieldsJson(ourApplyEntry(observed)?.fieldsV1);
  if (!uid || fields === undefined) return undefined;
  return hash53(`${uid}\n${JSON.stringify(desired)}\n${fields}`);
}

/**
 * cyrb53 (public domain, github.com/bryc/code): a 53-bit string hash, so a remembered apply is one number however
 * large the body, and the reconciler needs no node:crypto. A collision (odds ~2^-53) matters only for a child
 * others shape, and would skip one apply there.
 */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
