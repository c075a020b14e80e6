/**
 * Events the reconciler emits: one per child it creates, updates or deletes, and one per condition transition
 * (status or reason changed). A brand-new Greeter only gets transition events for bad news, so creating one does
 * not flood `kubectl describe` with four "condition set" lines.
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
