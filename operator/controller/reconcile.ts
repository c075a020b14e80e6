/**
 * reconcileGreeter computes, from a Greeter and its observed children, everything the operator must do: the
 * children to apply (only those that drifted), those to delete, the new status and the Events to record. It is
 * pure: no I/O, no clock (ctx.now), no randomness. It never throws on user input: an invalid spec is a Degraded
 * status, not an error.
 */
import type { Greeter, GreeterStatus } from "../api/v1alpha1/greeter.ts";
import type { EventSpec, ObservedChildren, Plan, ReconcileContext } from "./types.ts";

export type {
  EventSpec,
  ObjectRef,
  ObservedChildren,
  Plan,
  ReconcileContext,
  ServiceMonitor,
} from "./types.ts";

export function reconcileGreeter(greeter: Greeter, observed: ObservedChildren, ctx: ReconcileContext): Plan {
  void greeter;
  void observed;
  void ctx;
  throw new Error("not implemented yet");
}

/** The status to write when applying or deleting `childKind` failed: Degraded=True, reason ApplyFailed. */
export function statusAfterApplyFailure(
  status: GreeterStatus,
  childKind: string,
  message: string,
  now: Date,
): GreeterStatus {
  void status;
  void childKind;
  void message;
  void now;
  throw new Error("not implemented yet");
}

/** The Warning Event to record with statusAfterApplyFailure. */
export function applyFailureEvent(childKind: string, childName: string, message: string): EventSpec {
  void childKind;
  void childName;
  void message;
  throw new Error("not implemented yet");
}

/** False when next equals old on every field (lastTransitionTime included), so an idle operator writes nothing. */
export function statusNeedsWrite(old: GreeterStatus | undefined, next: GreeterStatus): boolean {
  void old;
  void next;
  throw new Error("not implemented yet");
}
