/**
 * reconcileGreeter computes, from a Greeter and its observed children, everything the operator must do: the
 * children to apply (only those that drifted), those to delete, the new status and the Events to record. It is
 * pure: no I/O, no clock (ctx.now), no randomness. It never throws on user input: an invalid spec is a Degraded
 * status, not an error.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { ConditionType, Reason } from "../api/v1alpha1/conditions.ts";
import {
  GREETER_NAME_PATTERN,
  type Greeter,
  type GreeterSpec,
  type GreeterStatus,
  MAX_EXPOSED_GREETER_NAME_LENGTH,
  MAX_GREETER_NAME_LENGTH,
  parseGreeterSpec,
} from "../api/v1alpha1/greeter.ts";
import { applyFingerprint, needsApply } from "./compare.ts";
import { findCondition, mergeConditions, withTransitionTime } from "./conditions.ts";
import { desiredDeployment } from "./desired/deployment.ts";
import { desiredNetworkPolicy } from "./desired/network-policy.ts";
import { describeController, isControlledBy } from "./desired/owner.ts";
import { desiredMetricsService, desiredService, isExposed, serviceUrl } from "./desired/service.ts";
import { desiredServiceMonitor } from "./desired/service-monitor.ts";
import { childEvent, refTo, transitionEvents, truncate } from "./events.ts";
import { childNames, childSelector, selectorString } from "./names.ts";
import { podFailure } from "./pod-failures.ts";
import { rolloutState } from "./rollout.ts";
import { type Findings, greeterConditions, type MonitoringState } from "./status.ts";
import type { EventSpec, ObjectRef, ObservedChildren, Plan, ReconcileContext } from "./types.ts";

export type {
  EventSpec,
  NetworkPolicy,
  ObjectRef,
  ObservedChildren,
  Plan,
  ReconcileContext,
  ServiceMonitor,
} from "./types.ts";

/** Maps and lists only the operator writes, by kind: a key removed from the spec must be removed from the child. */
const EXACT_PATHS: Partial<Record<string, readonly string[]>> = {
  Deployment: [
    "spec.template.spec.nodeSelector",
    "spec.template.spec.tolerations",
    "spec.template.spec.affinity",
    "spec.template.spec.containers[0].resources.requests",
    "spec.template.spec.containers[0].resources.limits",
  ],
  ServiceMonitor: ["metadata.labels"],
};

type Child = { desired: KubernetesObject; observed: KubernetesObject | undefined };

/** How ObservedChildren.applied names a child. */
export const appliedKey = (child: { kind?: string; metadata?: { name?: string } }) =>
  `${child.kind}/${child.metadata?.name}`;

/**
 * Whether `desired` must be applied over `observed`: the no-op check (compare.ts) sees a difference, and it is
 * not the one our last apply of this object already left behind (`applied`, see ObservedChildren.applied).
 */
export function childNeedsApply(
  desired: KubernetesObject,
  observed: KubernetesObject | undefined,
  applied?: number,
): boolean {
  if (!needsApply(desired, observed, EXACT_PATHS[desired.kind ?? ""])) return false;
  return applied === undefined || applied !== applyFingerprint(desired, observed);
}

/**
 * What to remember of a successful apply, given the server's answer: its fingerprint when the answer still
 * differs from `desired` by the no-op check (a webhook or another field manager shapes the object), else
 * undefined, as the check alone will see that the next reconcile has nothing to do.
 */
export function fingerprintToRemember(
  desired: KubernetesObject,
  answer: KubernetesObject,
): number | undefined {
  return childNeedsApply(desired, answer) ? applyFingerprint(desired, answer) : undefined;
}

export function reconcileGreeter(greeter: Greeter, observed: ObservedChildren, ctx: ReconcileContext): Plan {
  const previous = greeter.status ?? {};
  // Being deleted: the garbage collector removes the children; nothing to add.
  if (greeter.metadata.deletionTimestamp) return { apply: [], delete: [], status: previous, events: [] };

  const name = greeter.metadata.name ?? "";
  const generation = greeter.metadata.generation ?? 0;
  const base: GreeterStatus = {
    observedGeneration: generation,
    replicas: observed.deployment?.status?.replicas ?? 0,
    readyReplicas: observed.deployment?.status?.readyReplicas ?? 0,
    selector: selectorString(childSelector(name)),
  };

  const parsed = parseGreeterSpec(greeter.spec);
  const nameProblem = invalidName(name, parsed.ok ? parsed.spec : undefined);
  if (!parsed.ok || nameProblem) {
    const findings: Findings = {
      generation,
      paused: false,
      invalidSpec: nameProblem ?? (parsed.ok ? "" : parsed.message),
      desiredReplicas: 0,
      deploymentApplying: false,
      rollingOutNewSpec: false,
      serviceAvailable: false,
      conflicts: [],
      monitoring: { kind: "disabled" },
    };
    return finish(greeter, { ...base, url: previous.url }, findings, [], [], [], ctx.now);
  }
  const spec = parsed.spec;
  const status: GreeterStatus = { ...base, url: serviceUrl(greeter, spec) };

  const conflicts: string[] = [];
  const ownedOrConflict = (obs: KubernetesObject | undefined, kind: string) => {
    if (obs === undefined || isControlledBy(obs, greeter)) return { mine: obs, conflict: false };
    conflicts.push(
      `${kind} ${obs.metadata?.namespace}/${obs.metadata?.name} already exists and is not controlled by this Greeter (controller: ${describeController(obs)})`,
    );
    return { mine: undefined, conflict: true };
  };
  const deployment = ownedOrConflict(observed.deployment, "Deployment");
  const service = ownedOrConflict(observed.service, "Service");

  const children: Child[] = [];
  const deletes: ObjectRef[] = [];
  // First, so that a new Greeter's pods never run without the policy it asks for.
  const networkPolicy = desiredNetworkPolicy(greeter, spec);
  if (networkPolicy) {
    const observedPolicy = ownedOrConflict(observed.networkPolicy, "NetworkPolicy");
    if (!observedPolicy.conflict) {
      children.push({ desired: networkPolicy, observed: observedPolicy.mine });
    }
  } else if (observed.networkPolicy && isControlledBy(observed.networkPolicy, greeter)) {
    deletes.push(refTo(observed.networkPolicy));
  }
  if (!deployment.conflict) {
    children.push({
      desired: desiredDeployment(greeter, spec, ctx.defaultImage),
      observed: deployment.mine,
    });
  }
  if (!service.conflict) children.push({ desired: desiredService(greeter, spec), observed: service.mine });

  const metricsService = desiredMetricsService(greeter, spec);
  if (metricsService) {
    const observedMetrics = ownedOrConflict(observed.metricsService, "Service");
    if (!observedMetrics.conflict) {
      children.push({ desired: metricsService, observed: observedMetrics.mine });
    }
  } else if (observed.metricsService && isControlledBy(observed.metricsService, greeter)) {
    // Back to ClusterIP: the Greeter's own Service carries the metrics port again.
    deletes.push(refTo(observed.metricsService));
  }
  let monitoring: MonitoringState;
  const sm = observed.serviceMonitor;
  const smIsMine = sm !== undefined && isControlledBy(sm, greeter);
  if (!spec.monitoring.enabled) {
    monitoring = { kind: "disabled" };
    if (sm && smIsMine) deletes.push(refTo(sm));
  } else if (!observed.serviceMonitorCrdInstalled) {
    monitoring = { kind: "unavailable" };
  } else if (sm && !smIsMine) {
    monitoring = {
      kind: "conflict",
      message: `ServiceMonitor ${sm.metadata?.namespace}/${sm.metadata?.name} already exists and is not controlled by this Greeter (controller: ${describeController(sm)})`,
    };
  } else {
    monitoring = spec.paused && !sm ? { kind: "missing-paused" } : { kind: "ready" };
    children.push({
      desired: desiredServiceMonitor(greeter, spec),
      observed: smIsMine ? sm : undefined,
    });
  }

  const apply = spec.paused
    ? []
    : children.filter((c) =>
        childNeedsApply(c.desired, c.observed, observed.applied?.[appliedKey(c.desired)]),
      );
  const deleted = spec.paused ? [] : deletes;
  const applying = (kind: string) => apply.some((c) => c.desired.kind === kind);
  const deploymentApplying = applying("Deployment");

  const findings: Findings = {
    generation,
    paused: spec.paused,
    desiredReplicas: spec.replicas,
    rollout:
      deployment.mine && !deploymentApplying ? rolloutState(deployment.mine, spec.replicas) : undefined,
    deploymentApplying,
    rollingOutNewSpec: !spec.paused && newSpecNotYetReady(previous, generation),
    serviceAvailable:
      service.mine !== undefined ||
      apply.some(
        (c) => c.desired.kind === "Service" && c.desired.metadata?.name === childNames(name).service,
      ),
    conflicts,
    podFailure: podFailure(observed.pods),
    monitoring,
  };
  const childEvents = [
    ...apply.map((c) => childEvent(c.observed ? "Updated" : "Created", refTo(c.desired))),
    ...deleted.map((ref) => childEvent("Deleted", ref)),
  ];
  return finish(
    greeter,
    status,
    findings,
    apply.map((c) => c.desired),
    deleted,
    childEvents,
    ctx.now,
  );
}

function finish(
  greeter: Greeter,
  status: GreeterStatus,
  findings: Findings,
  apply: KubernetesObject[],
  deletes: ObjectRef[],
  childEvents: EventSpec[],
  now: Date,
): Plan {
  const previous = greeter.status?.conditions;
  const conditions = mergeConditions(previous, greeterConditions(findings), now);
  const next: GreeterStatus = { ...status, conditions };
  if (next.url === undefined) delete next.url;
  return {
    apply,
    delete: deletes,
    status: next,
    events: [...childEvents, ...transitionEvents(previous, conditions)],
  };
}

/**
 * Whether this generation has not yet been reported Ready: no Ready condition yet (a new Greeter), one about an
 * older generation (a spec change), or one that already says this generation is rolling out. A Deployment short
 * of replicas is then the rollout of the new spec, not replicas lost from a spec already served.
 */
function newSpecNotYetReady(previous: GreeterStatus, generation: number): boolean {
  const ready = findCondition(previous.conditions, ConditionType.Ready);
  if (!ready) return true;
  if ((ready.observedGeneration ?? previous.observedGeneration ?? 0) < generation) return true;
  return ready.status === "False" && ready.reason === Reason.RolloutInProgress;
}

function invalidName(name: string, spec: GreeterSpec | undefined): string | undefined {
  if (name.length > MAX_GREETER_NAME_LENGTH || !new RegExp(GREETER_NAME_PATTERN).test(name)) {
    return `metadata.name ${JSON.stringify(name)} must be a DNS-1035 label: it names the Greeter's Service`;
  }
  if (spec && isExposed(spec) && name.length > MAX_EXPOSED_GREETER_NAME_LENGTH) {
    return `metadata.name of a ${spec.service.type} Greeter must be at most ${MAX_EXPOSED_GREETER_NAME_LENGTH} characters: it also names the Service ${name}-metrics`;
  }
  return undefined;
}

/**
 * The status to write when applying or deleting `childKind` failed: Degraded=True, reason ApplyFailed, and
 * Ready=False. Pass the Greeter's current status as `previous` so a failure that persists keeps its
 * lastTransitionTime.
 */
export function statusAfterApplyFailure(
  status: GreeterStatus,
  childKind: string,
  message: string,
  now: Date,
  previous?: GreeterStatus,
): GreeterStatus {
  const prior = previous?.conditions ?? status.conditions;
  const generation = status.observedGeneration;
  const note = truncate(`applying the ${childKind} failed: ${message}`);
  const failed = [
    { type: ConditionType.Degraded, status: "True" as const, reason: Reason.ApplyFailed, message: note },
    ...(findStatus(status, ConditionType.Ready) === "True"
      ? [{ type: ConditionType.Ready, status: "False" as const, reason: Reason.ApplyFailed, message: note }]
      : []),
  ].map((c) => withTransitionTime(prior, { ...c, observedGeneration: generation }, now));
  const types = new Set(failed.map((c) => c.type));
  const conditions = (status.conditions ?? []).map((c) =>
    types.has(c.type) ? (failed.find((f) => f.type === c.type) ?? c) : c,
  );
  for (const c of failed) if (!conditions.some((x) => x.type === c.type)) conditions.push(c);
  return { ...status, conditions };
}

function findStatus(status: GreeterStatus, type: string): string | undefined {
  return status.conditions?.find((c) => c.type === type)?.status;
}

/** The Warning Event to record with statusAfterApplyFailure. */
export function applyFailureEvent(childKind: string, childName: string, message: string): EventSpec {
  return {
    type: "Warning",
    reason: Reason.ApplyFailed,
    action: "Apply",
    note: truncate(`applying ${childKind} ${childName} failed: ${message}`),
  };
}

/** False when next equals old on every field (lastTransitionTime included), so an idle operator writes nothing. */
export function statusNeedsWrite(old: GreeterStatus | undefined, next: GreeterStatus): boolean {
  return canonical(old ?? {}) !== canonical(next);
}

function canonical(status: GreeterStatus): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([, x]) => x !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, x]) => [k, sorted(x)]),
      );
    }
    return v;
  };
  const conditions = [...(status.conditions ?? [])].sort((a, b) => (a.type < b.type ? -1 : 1));
  return JSON.stringify(sorted({ ...status, conditions }));
}
