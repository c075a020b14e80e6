/**
 * A ResourceType names one kind of API object by group, version and plural, and builds its REST paths.
 * The runtime addresses every resource this way, so it works for built-ins and custom resources alike.
 */
export interface ResourceType {
  /** "" for the core group (pods, services, events). */
  readonly group: string;
  readonly version: string;
  /** The lower-case plural used in URLs, e.g. "deployments". */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export function apiVersionOf(type: ResourceType): string {
  return type.group === "" ? type.version : `${type.group}/${type.version}`;
}

/** A short, stable label for logs and metrics: the plural ("deployments", "greeters"). */
export function resourceLabel(type: ResourceType): string {
  return type.plural;
}

/**
 * The path of a collection (no name) or of one object, optionally of a subresource. A namespaced type
 * without a namespace addresses the collection across all namespaces.
 */
export function resourcePath(
  type: ResourceType,
  at: { namespace?: string | undefined; name?: string | undefined; subresource?: string | undefined } = {},
): string {
  const base = type.group === "" ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const ns = type.namespaced && at.namespace ? `/namespaces/${encodeURIComponent(at.namespace)}` : "";
  const name = at.name === undefined ? "" : `/${encodeURIComponent(at.name)}`;
  const sub = at.subresource === undefined ? "" : `/${at.subresource}`;
  return `${base}${ns}/${type.plural}${name}${sub}`;
}

/** Object identity in caches and queues: "namespace/name", or "name" for cluster-scoped objects. */
export type ObjectKey = string;

export function objectKey(namespace: string | undefined, name: string): ObjectKey {
  return namespace ? `${namespace}/${name}` : name;
}

export function splitKey(key: ObjectKey): { namespace: string | undefined; name: string } {
  const slash = key.indexOf("/");
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export const knownTypes = {
  pods: { group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true },
  services: { group: "", version: "v1", plural: "services", kind: "Service", namespaced: true },
  deployments: { group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true },
  leases: {
    group: "coordination.k8s.io",
    version: "v1",
    plural: "leases",
    kind: "Lease",
    namespaced: true,
  },
  events: { group: "events.k8s.io", version: "v1", plural: "events", kind: "Event", namespaced: true },
  serviceMonitors: {
    group: "monitoring.coreos.com",
    version: "v1",
    plural: "servicemonitors",
    kind: "ServiceMonitor",
    namespaced: true,
  },
} as const satisfies Record<string, ResourceType>;
