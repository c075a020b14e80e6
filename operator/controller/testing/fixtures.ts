/**
 * Test fixtures for the pure reconciler: Greeters, and children as the API server returns them (server-side
 * defaults filled in, quantities canonicalised, status set, managedFields for our field manager).
 */
import type { KubernetesObject, V1Deployment, V1Pod, V1Service } from "@kubernetes/client-node";
import { API_VERSION, FIELD_MANAGER, KIND } from "../../api/v1alpha1/constants.ts";
import type { Greeter, GreeterSpecInput } from "../../api/v1alpha1/greeter.ts";
import type { ObservedChildren, ReconcileContext, ServiceMonitor } from "../types.ts";

export const NOW = new Date("2026-11-26T04:00:00.000Z");
export const LATER = new Date("2026-11-26T04:05:00.000Z");
export const CTX: ReconcileContext = { defaultImage: "greeter:0.1.0", now: NOW };
export const UID = "0b7a1c2e-0000-4000-8000-000000000001";

/** Every optional field set, with values the API server canonicalises (quantities) or defaults around. */
export const EVERY_FIELD: GreeterSpecInput = {
  replicas: 2,
  greeting: "Hej, {name}",
  // A registry on the node's loopback: where a real kubelet tries the pull, nothing leaves the node.
  image: "127.0.0.1:1/greeter:9",
  resources: { requests: { cpu: "0.1", memory: "1024Mi" }, limits: { cpu: 1, memory: "2Gi" } },
  service: { type: "NodePort", port: 8081 },
  monitoring: { interval: "15s", labels: { release: "kube-prometheus-stack" } },
  nodeSelector: { "kubernetes.io/os": "linux" },
  tolerations: [{ key: "dedicated", operator: "Equal", value: "greeters", effect: "NoSchedule" }],
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: "kubernetes.io/os", operator: "In", values: ["linux"] }] },
        ],
      },
    },
  },
};

export function aGreeter(spec: GreeterSpecInput = {}, overrides: Partial<Greeter["metadata"]> = {}): Greeter {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: "hello", namespace: "demo", uid: UID, generation: 1, ...overrides },
    spec,
  };
}

export function nothingObserved(extra: Partial<ObservedChildren> = {}): ObservedChildren {
  return { serviceMonitorCrdInstalled: true, pods: [], ...extra };
}

const clone = <T>(v: T): T => structuredClone(v);

/** Quantities as the API server stores them. */
const CANONICAL: Record<string, string> = { "0.5": "500m", "1024Mi": "1Gi", "0.1": "100m", "1000m": "1" };

/** What the API server returns after our apply: defaults added, managedFields recorded. */
export function asServerReturns<T extends KubernetesObject>(desired: T, generation = 1): T {
  // biome-ignore lint/suspicious/noExplicitAny: the fixture writes server defaults deep into untyped children
  const obj = clone(desired) as KubernetesObject & Record<string, any>;
  obj.metadata = {
    ...obj.metadata,
    uid: `uid-of-${obj.kind}`,
    resourceVersion: "12345",
    generation,
    creationTimestamp: new Date("2026-11-26T03:00:00Z"),
    managedFields: [
      {
        manager: FIELD_MANAGER,
        operation: "Apply",
        apiVersion: obj.apiVersion,
        fieldsType: "FieldsV1",
        fieldsV1: fieldsV1Of(desired),
      },
    ],
  };
  if (obj.kind === "Deployment") {
    const spec = obj.spec;
    spec.revisionHistoryLimit = 10;
    spec.progressDeadlineSeconds = 600;
    spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
    const pod = spec.template.spec;
    Object.assign(pod, {
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      schedulerName: "default-scheduler",
    });
    // Defaulted only when unset, as the server does: the operator sets its own.
    pod.terminationGracePeriodSeconds ??= 30;
    spec.template.metadata.creationTimestamp = null;
    for (const c of pod.containers) {
      Object.assign(c, {
        imagePullPolicy: "IfNotPresent",
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
      });
      c.resources ??= {};
      for (const list of [c.resources.requests, c.resources.limits]) {
        for (const [k, v] of Object.entries(list ?? {})) list[k] = CANONICAL[v as string] ?? v;
      }
      for (const probe of [c.livenessProbe, c.readinessProbe]) {
        Object.assign(probe, { successThreshold: 1 });
        probe.httpGet.scheme = "HTTP";
      }
    }
  }
  if (obj.kind === "Service") {
    Object.assign(obj.spec, {
      clusterIP: "10.0.0.17",
      clusterIPs: ["10.0.0.17"],
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
    });
    if (obj.spec.type !== "ClusterIP") {
      obj.spec.externalTrafficPolicy = "Cluster";
      for (const p of obj.spec.ports) p.nodePort ??= 31234;
    }
  }
  return obj as T;
}

/** Sets a Deployment's status as the Deployment controller would once `ready` of `replicas` pods are ready. */
export function withRollout(
  deployment: V1Deployment,
  {
    ready,
    replicas = deployment.spec?.replicas ?? 1,
    updated = replicas,
    observedGeneration = deployment.metadata?.generation,
  }: { ready: number; replicas?: number; updated?: number; observedGeneration?: number },
  extra: Partial<NonNullable<V1Deployment["status"]>> = {},
): V1Deployment {
  const d = clone(deployment);
  d.status = {
    observedGeneration,
    replicas,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: ready,
    ...extra,
  };
  return d;
}

/** A ready, fully rolled-out Deployment. */
export function rolledOut(deployment: V1Deployment): V1Deployment {
  const replicas = deployment.spec?.replicas ?? 1;
  return withRollout(deployment, { ready: replicas, replicas });
}

export function foreign<T extends KubernetesObject>(
  obj: T,
  owner?: { kind: string; name: string; uid: string },
): T {
  const o = clone(obj);
  o.metadata = { ...o.metadata, uid: "someone-elses", managedFields: [] };
  o.metadata.ownerReferences = owner ? [{ apiVersion: "apps/v1", controller: true, ...owner }] : undefined;
  return o;
}

export function aPod(name: string, waitingReason?: string, message?: string, init = false): V1Pod {
  const status = {
    name: "greeter",
    image: "greeter:0.1.0",
    imageID: "",
    ready: false,
    restartCount: waitingReason === "CrashLoopBackOff" ? 5 : 0,
    state: waitingReason ? { waiting: { reason: waitingReason, message } } : { running: {} },
  };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "demo" },
    status: init ? { initContainerStatuses: [status] } : { containerStatuses: [status] },
  };
}

export type { ServiceMonitor, V1Deployment, V1Service };

/** A simplified structured-merge-diff FieldsV1 for what we apply, with the list keys Kubernetes uses. */
export function fieldsV1Of(value: unknown, parentKey = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const key = listKey(parentKey, item as Record<string, unknown>);
      out[key] = { ".": {}, ...fieldsV1Of(item) };
    }
    return out;
  }
  if (typeof value !== "object" || value === null) return out;
  for (const [k, v] of Object.entries(value)) {
    if (k === "apiVersion" || k === "kind" || v === undefined) continue;
    if (Array.isArray(v) && !KEYED_LISTS.has(k)) out[`f:${k}`] = {};
    else out[`f:${k}`] = typeof v === "object" && v !== null ? fieldsV1Of(v, k) : {};
  }
  return out;
}

const KEYED_LISTS = new Set(["containers", "env", "ports", "ownerReferences"]);

function listKey(parent: string, item: Record<string, unknown>): string {
  if (parent === "ownerReferences") return `k:${JSON.stringify({ uid: item.uid })}`;
  if (parent === "ports" && "containerPort" in item) {
    return `k:${JSON.stringify({ containerPort: item.containerPort, protocol: item.protocol })}`;
  }
  if (parent === "ports") return `k:${JSON.stringify({ port: item.port, protocol: item.protocol })}`;
  return `k:${JSON.stringify({ name: item.name })}`;
}
