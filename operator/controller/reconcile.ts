/**
 * reconcileGreeter computes, from a Greeter and its observed children, everything the operator must do: the
 * children to apply (only those that drifted), those to delete, the new status and the Events to record. It is
 * pure: no I/O, no clock (ctx.now), no randomness. It never throws on user input: an invalid spec is a Degraded
 * status, not an error. What it keeps between calls (lastCheck, the no-op check's answers for objects it saw
 * before) saves work and cannot change a result.
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

/** A child the Greeter wants. `desired` builds it once, when asked: a resync that finds nothing to do asks for none. */
type Child = {
  kind: string;
  name: string;
  desired: () => KubernetesObject;
  observed: KubernetesObject | undefined;
};

function wanted(
  kind: string,
  name: string,
  observed: KubernetesObject | undefined,
  build: () => KubernetesObject,
): Child {
  let built: KubernetesObject | undefined;
  return { kind, name, observed, desired: () => (built ??= build()) };
}

/** How ObservedChildren.applied names a child. */
export const appliedKey = (child: { kind?: string; metadata?: { name?: string } }) =>
  childKey(child.kind, child.metadata?.name);
const childKey = (kind: string | undefined, name: string | undefined) => `${kind}/${name}`;

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

/**
 * The no-op check's last answer for each observed child, and what it was asked: the Greeter the desired child
 * was built from and the default image (the desired builders read nothing else), and the remembered apply. A
 * resync reconciles every Greeter with nothing changed, and the check was most of such a reconcile's work and
 * garbage (it decodes our managedFields entry: bench/operator/reconcile-cost.ts). Cached objects are never
 * modified, only replaced, so the same objects get the same answer and the reconciler stays a function of its
 * inputs. Held weakly: an entry goes when the cache lets its child go.
 */
const lastCheck = new WeakMap<
  KubernetesObject,
  { greeter: Greeter; image: string; applied: number | undefined; needs: boolean }
>();

function checkedNeedsApply(greeter: Greeter, image: string, child: Child, applied: number | undefined) {
  const { observed } = child;
  if (observed === undefined) return true;
  const last = lastCheck.get(observed);
  if (last && last.greeter === greeter && last.image === image && last.applied === applied) return last.needs;
  const needs = childNeedsApply(child.desired(), observed, applied);
  lastCheck.set(observed, { greeter, image, applied, needs });
  return needs;
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

  const names = childNames(name);
  const children: Child[] = [];
  const deletes: ObjectRef[] = [];
  // First, so that a new Greeter's pods never run without the policy it asks for.
  const networkPolicy = desiredNetworkPolicy(greeter, spec);
  if (networkPolicy) {
    const observedPolicy = ownedOrConflict(observed.networkPolicy, "NetworkPolicy");
    if (!observedPolicy.conflict) {
      children.push(wanted("NetworkPolicy", names.networkPolicy, observedPolicy.mine, () => networkPolicy));
    }
  } else if (observed.networkPolicy && isControlledBy(observed.networkPolicy, greeter)) {
    deletes.push(refTo(observed.networkPolicy));
  }
  if (!deployment.conflict) {
    children.push(
      wanted("Deployment", names.deployment, deployment.mine, () =>
        desiredDeployment(greeter, spec, ctx.defaultImage),
      ),
    );
  }
  if (!service.conflict) {
    children.push(wanted("Service", names.service, service.mine, () => desiredService(greeter, spec)));
  }

  const metricsService = desiredMetricsService(greeter, spec);
  if (metricsService) {
    const observedMetrics = ownedOrConflict(observed.metricsService, "Service");
    if (!observedMetrics.conflict) {
      children.push(wanted("Service", names.metricsService, observedMetrics.mine, () => metricsService));
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
    children.push(
      wanted("ServiceMonitor", names.serviceMonitor, smIsMine ? sm : undefined, () =>
        desiredServiceMonitor(greeter, spec),
      ),
    );
  }

  const apply = spec.paused
    ? []
    : children.filter((c) =>
        checkedNeedsApply(greeter, ctx.defaultImage, c, observed.applied?.[childKey(c.kind, c.name)]),
      );
  const deleted = spec.paused ? [] : deletes;
  const applying = (kind: string) => apply.some((c) => c.kind === kind);
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
      service.mine !== undefined || apply.some((c) => c.kind === "Service" && c.name === names.service),
    conflicts,
    podFailure: podFailure(observed.pods),
    monitoring,
  };
  const childEvents = [
    ...apply.map((c) => childEvent(c.observed ? "Updated" : "Created", refTo(c.desired()))),
    ...deleted.map((ref) => childEvent("Deleted", ref)),
  ];
  return finish(
    greeter,
    status,
    findings,
    apply.map((c) => c.desired()),
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

/**
 * False when next equals old on every field (lastTransitionTime included), so an idle operator writes nothing.
 * Key order, condition order and undefined fields do not count. It runs on every reconcile, resyncs included,
 * so it compares in place instead of serialising both sides.
 */
export function statusNeedsWrite(old: GreeterStatus | undefined, next: GreeterStatus): boolean {
  const prior = old ?? {};
  if (!sameJson(prior, next, "conditions")) return true;
  const a = prior.conditions ?? [];
  const b = next.conditions ?? [];
  if (a.length !== b.length) return true;
  if (a.every((c, i) => c.type === b[i]?.type)) return !a.every((c, i) => sameJson(c, b[i]));
  const byType = (x: { type: string }, y: { type: string }) => (x.type < y.type ? -1 : 1);
  const sortedB = [...b].sort(byType);
  return ![...a].sort(byType).every((c, i) => sameJson(c, sortedB[i]));
}

/** Equal as JSON would write them, but for key order; `skip` names a key of the top level to leave out. */
function sameJson(a: unknown, b: unknown, skip?: string): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const k in x) {
    if (k === skip || x[k] === undefined) continue;
    if (!sameJson(x[k], y[k])) return false;
    keys++;
  }
  for (const k in y) if (k !== skip && y[k] !== undefined) keys--;
  return keys === 0;
}
