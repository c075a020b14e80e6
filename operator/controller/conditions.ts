/**
 * Condition bookkeeping in the metav1.Condition style: lastTransitionTime moves only when the status changes, so
 * a steady Greeter's status is byte-for-byte stable and the operator does not rewrite it.
 */
import type { Condition } from "../api/v1alpha1/greeter.ts";

export type ConditionInput = Omit<Condition, "lastTransitionTime">;

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function timestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** The condition with lastTransitionTime carried over from previous when the status did not change. */
export function withTransitionTime(
  previous: readonly Condition[] | undefined,
  next: ConditionInput,
  now: Date,
): Condition {
  const old = findCondition(previous, next.type);
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : timestamp(now);
  return { ...next, lastTransitionTime };
}

/** Replaces (or adds) conditions by type, keeping others (e.g. set by other tools) after ours. */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  now: Date,
): Condition[] {
  const ours = next.map((c) => withTransitionTime(previous, c, now));
  const types = new Set(next.map((c) => c.type));
  return [...ours, ...(previous ?? []).filter((c) => !types.has(c.type))];
}
