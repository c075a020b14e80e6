/**
 * podFailure spots pods that will not recover on their own: images that cannot be pulled and containers in
 * CrashLoopBackOff. Their Deployment only reports "not ready", so without this a broken Greeter looks like a
 * slow rollout forever.
 */
import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { Reason } from "../api/v1alpha1/conditions.ts";

const IMAGE_PULL_FAILURES = new Set([
  "ImagePullBackOff",
  "ErrImagePull",
  "InvalidImageName",
  "ErrImageNeverPull",
]);
const CRASH_FAILURES = new Set(["CrashLoopBackOff"]);
const MAX_MESSAGE = 512;

export interface PodFailure {
  reason: typeof Reason.ImagePullFailed | typeof Reason.CrashLooping;
  message: string;
}

export function podFailure(pods: readonly V1Pod[]): PodFailure | undefined {
  let crash: PodFailure | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const statuses: V1ContainerStatus[] = [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ];
    for (const status of statuses) {
      const waiting = status.state?.waiting;
      if (!waiting?.reason) continue;
      const message = truncate(
        `pod ${pod.metadata?.name}: container ${status.name}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`,
      );
      // An image that cannot be pulled is the more actionable of the two: report it first.
      if (IMAGE_PULL_FAILURES.has(waiting.reason)) return { reason: Reason.ImagePullFailed, message };
      if (CRASH_FAILURES.has(waiting.reason)) crash ??= { reason: Reason.CrashLooping, message };
    }
  }
  return crash;
}

function truncate(s: string): string {
  return s.length <= MAX_MESSAGE ? s : `${s.slice(0, MAX_MESSAGE - 1)}…`;
}
