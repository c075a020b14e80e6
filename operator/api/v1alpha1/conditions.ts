/**
 * Condition types and reasons the operator sets on Greeter.status.conditions (metav1.Condition shape). Reasons are
 * CamelCase, stable, and safe to alert on; messages are for humans.
 */

export const ConditionType = {
  /** True when the Deployment has all replicas ready at the current generation and the Service exists. */
  Ready: "Ready",
  /** True while a rollout is underway (new generation, pods starting or terminating). */
  Progressing: "Progressing",
  /** True when the operator cannot converge: failing pods, a name clash, an apply failure, an invalid spec. */
  Degraded: "Degraded",
  /** True when the ServiceMonitor exists; False with a reason when monitoring is disabled or unavailable. */
  MonitoringReady: "MonitoringReady",
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const Reason = {
  // Ready
  AllReplicasReady: "AllReplicasReady",
  ReplicasNotReady: "ReplicasNotReady",
  ScaledToZero: "ScaledToZero",
  // Progressing
  RolloutInProgress: "RolloutInProgress",
  RolloutComplete: "RolloutComplete",
  Paused: "Paused",
  // Degraded
  AsExpected: "AsExpected",
  ImagePullFailed: "ImagePullFailed",
  CrashLooping: "CrashLooping",
  NameConflict: "NameConflict",
  ApplyFailed: "ApplyFailed",
  InvalidSpec: "InvalidSpec",
  ProgressDeadlineExceeded: "ProgressDeadlineExceeded",
  ReplicaFailure: "ReplicaFailure",
  // MonitoringReady
  ServiceMonitorReady: "ServiceMonitorReady",
  MonitoringDisabled: "MonitoringDisabled",
  MonitoringUnavailable: "MonitoringUnavailable",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
