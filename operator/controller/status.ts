/**
 * greeterConditions turns what the reconciler found (children observed, applied, conflicting; pods failing;
 * monitoring available or not) into the four conditions: Ready, Progressing, Degraded and MonitoringReady.
 */
import { ConditionType, Reason } from "../api/v1alpha1/conditions.ts";
import { SERVICE_MONITOR_CRD_NAME } from "../api/v1alpha1/constants.ts";
import type { ConditionInput } from "./conditions.ts";
import type { PodFailure } from "./pod-failures.ts";
import type { RolloutState } from "./rollout.ts";

export type MonitoringState =
  | { kind: "disabled" }
  | { kind: "unavailable" }
  | { kind: "conflict"; message: string }
  | { kind: "missing-paused" }
  | { kind: "ready" };

export interface Findings {
  generation: number;
  paused: boolean;
  /** Set when the spec failed validation: nothing else was evaluated. */
  invalidSpec?: string;
  desiredReplicas: number;
  /** The observed Deployment's rollout, unless the Deployment is missing, conflicting, or being applied now. */
  rollout?: RolloutState;
  deploymentApplying: boolean;
  /**
   * The Deployment is rolling out a generation of the Greeter this operator has not yet reported Ready: a new
   * Greeter or a spec change, as opposed to replicas lost at a spec that was already served.
   */
  rollingOutNewSpec: boolean;
  /** Whether the Service exists (observed and ours) or is being applied now. */
  serviceAvailable: boolean;
  /** Name clashes with objects this Greeter does not control, one message per child. */
  conflicts: string[];
  podFailure?: PodFailure;
  monitoring: MonitoringState;
}

const cond = (
  type: string,
  status: "True" | "False" | "Unknown",
  reason: string,
  message: string,
  generation: number,
): ConditionInput => ({ type, status, reason, message, observedGeneration: generation });

export function greeterConditions(f: Findings): ConditionInput[] {
  const g = f.generation;
  if (f.invalidSpec !== undefined) {
    const message = `invalid spec: ${f.invalidSpec}`;
    return [
      cond(ConditionType.Ready, "False", Reason.InvalidSpec, message, g),
      cond(ConditionType.Progressing, "False", Reason.InvalidSpec, message, g),
      cond(ConditionType.Degraded, "True", Reason.InvalidSpec, message, g),
      cond(ConditionType.MonitoringReady, "Unknown", Reason.InvalidSpec, message, g),
    ];
  }
  return [ready(f), progressing(f), degraded(f), monitoringReady(f)];
}

function ready(f: Findings): ConditionInput {
  const type = ConditionType.Ready;
  const g = f.generation;
  if (f.conflicts.length > 0) return cond(type, "False", Reason.NameConflict, f.conflicts.join("; "), g);
  if (f.deploymentApplying)
    return cond(type, "False", Reason.RolloutInProgress, "applying the Deployment", g);
  if (!f.rollout) return cond(type, "False", Reason.ReplicasNotReady, "the Deployment does not exist", g);
  if (!f.rollout.complete) {
    // A rollout the operator started says so; once the Deployment controller gives up (Progressing=False),
    // the replicas are simply not ready.
    const { replicaFailure, deadlineExceeded } = f.rollout;
    const reason =
      f.rollingOutNewSpec && !deadlineExceeded && !replicaFailure
        ? Reason.RolloutInProgress
        : Reason.ReplicasNotReady;
    const message = replicaFailure ? `${f.rollout.message}: ${replicaFailure}` : f.rollout.message;
    return cond(type, "False", reason, message, g);
  }
  if (!f.serviceAvailable)
    return cond(type, "False", Reason.ReplicasNotReady, "the Service does not exist", g);
  const unmonitored =
    f.monitoring.kind === "unavailable" ? " (unmonitored: ServiceMonitor CRD not installed)" : "";
  if (f.desiredReplicas === 0)
    return cond(type, "True", Reason.ScaledToZero, `scaled to zero replicas${unmonitored}`, g);
  return cond(type, "True", Reason.AllReplicasReady, `${f.rollout.message}${unmonitored}`, g);
}

function progressing(f: Findings): ConditionInput {
  const type = ConditionType.Progressing;
  const g = f.generation;
  if (f.paused)
    return cond(type, "False", Reason.Paused, "reconciliation is paused (spec.paused is true)", g);
  if (f.conflicts.length > 0) return cond(type, "False", Reason.NameConflict, f.conflicts.join("; "), g);
  if (f.rollout?.deadlineExceeded && !f.deploymentApplying) {
    return cond(type, "False", Reason.ProgressDeadlineExceeded, f.rollout.deadlineExceeded, g);
  }
  if (f.deploymentApplying) return cond(type, "True", Reason.RolloutInProgress, "applying the Deployment", g);
  if (!f.rollout?.complete) {
    return cond(
      type,
      "True",
      Reason.RolloutInProgress,
      f.rollout?.message ?? "waiting for the Deployment",
      g,
    );
  }
  return cond(type, "False", Reason.RolloutComplete, "the Deployment is rolled out", g);
}

function degraded(f: Findings): ConditionInput {
  const type = ConditionType.Degraded;
  const g = f.generation;
  const monitoringConflict = f.monitoring.kind === "conflict" ? [f.monitoring.message] : [];
  const conflicts = [...f.conflicts, ...monitoringConflict];
  if (conflicts.length > 0) return cond(type, "True", Reason.NameConflict, conflicts.join("; "), g);
  if (f.podFailure) return cond(type, "True", f.podFailure.reason, f.podFailure.message, g);
  if (f.rollout?.replicaFailure && !f.deploymentApplying) {
    const message = `the Deployment cannot create pods: ${f.rollout.replicaFailure}`;
    return cond(type, "True", Reason.ReplicaFailure, message, g);
  }
  if (f.rollout?.deadlineExceeded && !f.deploymentApplying) {
    return cond(type, "True", Reason.ProgressDeadlineExceeded, f.rollout.deadlineExceeded, g);
  }
  return cond(type, "False", Reason.AsExpected, "no failures observed", g);
}

function monitoringReady(f: Findings): ConditionInput {
  const type = ConditionType.MonitoringReady;
  const g = f.generation;
  switch (f.monitoring.kind) {
    case "disabled":
      return cond(type, "False", Reason.MonitoringDisabled, "spec.monitoring.enabled is false", g);
    case "unavailable":
      return cond(
        type,
        "False",
        Reason.MonitoringUnavailable,
        `the ServiceMonitor CRD (${SERVICE_MONITOR_CRD_NAME}) is not installed: the greeter runs unmonitored until it is`,
        g,
      );
    case "conflict":
      return cond(type, "False", Reason.NameConflict, f.monitoring.message, g);
    case "missing-paused":
      return cond(type, "False", Reason.Paused, "no ServiceMonitor, and reconciliation is paused", g);
    case "ready":
      return cond(
        type,
        "True",
        Reason.ServiceMonitorReady,
        "the ServiceMonitor selects the greeter's Service",
        g,
      );
  }
}
