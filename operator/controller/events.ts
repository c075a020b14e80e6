/**
 * Events the reconciler emits: one per child it creates, updates or deletes, and one per condition transition
 * (status or reason changed) that tells the user something no other Event does. A brand-new Greeter only gets
 * transition events for bad news, so creating one does not flood `kubectl describe` with four "condition set"
 * lines.
 *
 * A rollout the operator carries out (a new Greeter, a spec change) is told by the "Created …" or "Updated
 * Deployment …" Event of the apply that started it; Ready going False (RolloutInProgress) and True again, and
 * Progressing going True and False again, are its expected course and make no Event. They would cost four
 * writes per Greeter on every spec change (bench/operator "storm") for news the conditions carry anyway, where
 * `kubectl wait --for=condition=Ready` and `kubectl describe` read it. Bad news (Degraded=True, a Warning),
 * recovery from it, and Ready changing for any other reason (a pod lost at an unchanged spec) still make one.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { ConditionType, Reason } from "../api/v1alpha1/conditions.ts";
import type { Condition } from "../api/v1alpha1/greeter.ts";
import { findCondition } from "./conditions.ts";
import type { EventSpec, ObjectRef } from "./types.ts";

const MAX_NOTE = 1024;

export function refTo(obj: KubernetesObject): ObjectRef {
  const ref: ObjectRef = {
    apiVersion: obj.apiVersion ?? "",
    kind: obj.kind ?? "",
    namespace: obj.metadata?.namespace ?? "",
    name: obj.metadata?.name ?? "",
  };
  if (obj.metadata?.uid) ref.uid = obj.metadata.uid;
  return ref;
}

export function childEvent(verb: "Created" | "Updated" | "Deleted", child: ObjectRef): EventSpec {
  const action = { Created: "Create", Updated: "Update", Deleted: "Delete" }[verb];
  return {
    type: "Normal",
    reason: verb,
    action,
    note: `${verb} ${child.kind} ${child.namespace}/${child.name}`,
    related: child,
  };
}

function isBadNews(c: Condition): boolean {
  if (c.type === ConditionType.Degraded) return c.status === "True";
  if (c.type === ConditionType.MonitoringReady) {
    return c.reason === Reason.MonitoringUnavailable || c.reason === Reason.NameConflict;
  }
  return false;
}

const ROLLOUT_PROGRESS: ReadonlySet<string> = new Set([Reason.RolloutInProgress, Reason.RolloutComplete]);

function isRolloutCourse(old: Condition, c: Condition): boolean {
  if (c.type === ConditionType.Ready) {
    // Into a rollout, or out of one that completed; a rollout that ends otherwise (NameConflict, ReplicasNotReady
    // once the progress deadline passed) is news.
    return (
      c.reason === Reason.RolloutInProgress ||
      (old.reason === Reason.RolloutInProgress && c.status === "True")
    );
  }
  // Progressing going in progress or complete is told by Ready going False or True (or by nothing, in a rollout
  // of the operator's own), and out of a failure by Degraded going False. Only leaving Paused has no other Event.
  if (c.type === ConditionType.Progressing) {
    return ROLLOUT_PROGRESS.has(c.reason) && old.reason !== Reason.Paused;
  }
  return false;
}

export function transitionEvents(
  previous: readonly Condition[] | undefined,
  next: readonly Condition[],
): EventSpec[] {
  const events: EventSpec[] = [];
  for (const c of next) {
    const old = findCondition(previous, c.type);
    if (old && old.status === c.status && old.reason === c.reason) continue;
    const bad = isBadNews(c);
    if (!old && !bad) continue;
    if (old && isRolloutCourse(old, c)) continue;
    events.push({
      type: bad ? "Warning" : "Normal",
      reason: c.reason,
      action: "Reconcile",
      note: truncate(`${c.type} is ${c.status}: ${c.message}`),
    });
  }
  return events;
}

export function truncate(s: string): string {
  return s.length <= MAX_NOTE ? s : `${s.slice(0, MAX_NOTE - 1)}…`;
}
