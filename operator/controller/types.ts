/**
 * The contract between the pure Greeter reconciler and the runtime glue that feeds it and carries out its Plan.
 * Nothing here performs I/O.
 */
import type {
  KubernetesObject,
  V1Deployment,
  V1LabelSelector,
  V1NetworkPolicyPort,
  V1Pod,
  V1Service,
} from "@kubernetes/client-node";
import type { GreeterStatus } from "../api/v1alpha1/greeter.ts";

/** monitoring.coreos.com/v1 ServiceMonitor, only the fields the operator writes or reads. */
export interface ServiceMonitor extends KubernetesObject {
  spec?: {
    selector?: { matchLabels?: Record<string, string> };
    namespaceSelector?: { matchNames?: string[] };
    endpoints?: Array<{ port?: string; path?: string; interval?: string; scheme?: string }>;
    jobLabel?: string;
  };
}

/** A networking.k8s.io/v1 NetworkPolicyPeer as JSON (client-node's V1NetworkPolicyPeer is that too). */
export interface NetworkPolicyPeer {
  namespaceSelector?: V1LabelSelector;
  podSelector?: V1LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

/**
 * networking.k8s.io/v1 NetworkPolicy as JSON, only the fields the operator writes. client-node's
 * V1NetworkPolicy names an ingress rule's `from` `_from` (its serializer renames it), but objects travel
 * here as plain JSON.
 */
export interface NetworkPolicy extends KubernetesObject {
  spec?: {
    podSelector: V1LabelSelector;
    policyTypes?: string[];
    ingress?: Array<{ from?: NetworkPolicyPeer[]; ports?: V1NetworkPolicyPort[] }>;
  };
}

/**
 * What the runtime observed for one Greeter, from its informer caches.
 * deployment/service/serviceMonitor are the objects NAMED like the child (see childNames) in the Greeter's
 * namespace, whoever owns them: a foreign object with that name is reported as a NameConflict, never applied over.
 */
export interface ObservedChildren {
  deployment?: V1Deployment;
  service?: V1Service;
  /** The Service `<name>-metrics` (childNames().metricsService), which only a NodePort or LoadBalancer Greeter has. */
  metricsService?: V1Service;
  serviceMonitor?: ServiceMonitor;
  /** The NetworkPolicy `<name>`, which only a Greeter with spec.networkPolicy.enabled has. */
  networkPolicy?: NetworkPolicy;
  /** Whether servicemonitors.monitoring.coreos.com is served right now. */
  serviceMonitorCrdInstalled: boolean;
  /** Pods labelled with this Greeter's selector (childSelector), to spot ImagePullBackOff and CrashLoopBackOff. */
  pods: V1Pod[];
  /**
   * Per child ("Kind/name", appliedKey), the fingerprint (applyFingerprint) of the operator's last apply, kept only when the server's
   * answer still differed from what was applied: a webhook or another field manager shapes that child. While
   * the child's fingerprint is unchanged, the difference is theirs and reapplying would change nothing.
   */
  applied?: Readonly<Record<string, number>>;
}

export interface ReconcileContext {
  /** Greeter image used when spec.image is unset (operator config GREETER_IMAGE). */
  defaultImage: string;
  /** Used for condition lastTransitionTime; passed in so the core stays pure and testable. */
  now: Date;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** Delete with this uid as a precondition, so only the object we observed (and own) can go. */
  uid?: string;
}

/** An events.k8s.io/v1 Event about the Greeter (regarding), optionally about a child (related). */
export interface EventSpec {
  type: "Normal" | "Warning";
  /** CamelCase, e.g. Created, Updated, Deleted, ApplyFailed, NameConflict, MonitoringUnavailable, Ready. */
  reason: string;
  /** What the operator did or failed to do, e.g. Create, Update, Delete, Apply, Reconcile. */
  action: string;
  /** Human-readable, ≤ 1 KiB. */
  note: string;
  related?: ObjectRef;
}

export interface Plan {
  /**
   * Children to server-side apply (field manager FIELD_MANAGER, force: true), in order: NetworkPolicy (opt-in),
   * Deployment, Service, the metrics Service (exposed Greeters), ServiceMonitor. Only children whose owned fields differ from what was observed: an idle Greeter yields [].
   */
  apply: KubernetesObject[];
  /**
   * Children to delete, e.g. our ServiceMonitor once monitoring is disabled, the metrics Service once the
   * Greeter is ClusterIP again, our NetworkPolicy once the Greeter no longer asks for one.
   */
  delete: ObjectRef[];
  /** The status to write if every apply and delete succeeds; write it only when statusNeedsWrite says so. */
  status: GreeterStatus;
  /** Events to record once the plan has been carried out (they describe its success). */
  events: EventSpec[];
  /** Re-check later even without a watch event (e.g. waiting on pods in back-off). */
  requeueAfterMs?: number;
}
