/**
 * rolloutState reads a Deployment's status the way `kubectl rollout status` does: complete only when the
 * Deployment controller has seen the latest spec and every replica is updated, ready and available, with no old
 * pods left.
 */
import type { V1Deployment } from "@kubernetes/client-node";

export interface RolloutState {
  complete: boolean;
  replicas: number;
  readyReplicas: number;
  /** Why the rollout is not complete, for condition messages. */
  message: string;
  /** Set when the Deployment controller gave up (progressDeadlineSeconds elapsed). */
  deadlineExceeded?: string;
  /**
   * Set when the Deployment cannot create pods (its ReplicaFailure condition: a quota, a LimitRange, an admission
   * webhook or policy refused them), with the API server's message. It shows long before the progress deadline.
   */
  replicaFailure?: string;
}

export function rolloutState(deployment: V1Deployment, desiredReplicas: number): RolloutState {
  const status = deployment.status ?? {};
  const replicas = status.replicas ?? 0;
  const ready = status.readyReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const generation = deployment.metadata?.generation ?? 0;
  const progressing = status.conditions?.find((c) => c.type === "Progressing");
  const deadlineExceeded =
    progressing?.status === "False" && progressing.reason === "ProgressDeadlineExceeded"
      ? (progressing.message ?? "progress deadline exceeded")
      : undefined;
  const failure = status.conditions?.find((c) => c.type === "ReplicaFailure" && c.status === "True");
  const replicaFailure = failure
    ? (failure.message ?? failure.reason ?? "pods cannot be created")
    : undefined;
  const base = { replicas, readyReplicas: ready, deadlineExceeded, replicaFailure };
  if ((status.observedGeneration ?? 0) < generation) {
    // Its conditions, a ProgressDeadlineExceeded included, are still about the template the spec just replaced.
    return {
      replicas,
      readyReplicas: ready,
      complete: false,
      message: "waiting for the Deployment controller to observe the new spec",
    };
  }
  if (updated < desiredReplicas) {
    return { ...base, complete: false, message: `${updated} of ${desiredReplicas} replicas updated` };
  }
  if (replicas > updated) {
    return { ...base, complete: false, message: `${replicas - updated} old replicas pending termination` };
  }
  if (ready < desiredReplicas || available < desiredReplicas) {
    return { ...base, complete: false, message: `${ready} of ${desiredReplicas} replicas ready` };
  }
  return { ...base, complete: true, message: `${ready} of ${desiredReplicas} replicas ready` };
}
