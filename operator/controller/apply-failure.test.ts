import { describe, expect, it } from "vitest";
import {
  applyFailureEvent,
  reconcileGreeter,
  statusAfterApplyFailure,
  statusNeedsWrite,
} from "./reconcile.ts";
import { aGreeter, CTX, LATER, nothingObserved } from "./testing/fixtures.ts";

const find = (s: { conditions?: { type: string }[] }, type: string) =>
  s.conditions?.find((c) => c.type === type);

describe("statusAfterApplyFailure", () => {
  const plan = reconcileGreeter(aGreeter(), nothingObserved(), CTX);

  it("marks the Greeter Degraded with ApplyFailed and the error", () => {
    const status = statusAfterApplyFailure(plan.status, "Service", "port 80 is already allocated", CTX.now);
    expect(find(status, "Degraded")).toMatchObject({
      status: "True",
      reason: "ApplyFailed",
      message: "applying the Service failed: port 80 is already allocated",
      lastTransitionTime: "2026-11-26T04:00:00Z",
    });
  });

  it("turns a Ready Greeter not Ready", () => {
    const ready = {
      ...plan.status,
      conditions: (plan.status.conditions ?? []).map((c) =>
        c.type === "Ready" ? { ...c, status: "True" as const } : c,
      ),
    };
    expect(find(statusAfterApplyFailure(ready, "Deployment", "boom", CTX.now), "Ready")).toMatchObject({
      status: "False",
      reason: "ApplyFailed",
    });
  });

  it("keeps the transition time of a failure that persists, so a retry loop does not rewrite status", () => {
    const failed = statusAfterApplyFailure(plan.status, "Service", "boom", CTX.now);
    const retry = reconcileGreeter({ ...aGreeter(), status: failed }, nothingObserved(), {
      ...CTX,
      now: LATER,
    });
    const again = statusAfterApplyFailure(retry.status, "Service", "boom", LATER, failed);
    expect(find(again, "Degraded")).toMatchObject({ lastTransitionTime: "2026-11-26T04:00:00Z" });
    expect(statusNeedsWrite(failed, again)).toBe(false);
  });
});

describe("applyFailureEvent", () => {
  it("is a Warning naming the child and the error", () => {
    expect(applyFailureEvent("Service", "hello", "forbidden")).toEqual({
      type: "Warning",
      reason: "ApplyFailed",
      action: "Apply",
      note: "applying Service hello failed: forbidden",
    });
  });
});

describe("statusNeedsWrite", () => {
  it("ignores key and condition order", () => {
    const c1 = {
      type: "A",
      status: "True" as const,
      reason: "R",
      message: "",
      lastTransitionTime: "2026-11-26T04:00:00Z",
    };
    const c2 = { ...c1, type: "B" };
    expect(
      statusNeedsWrite(
        { replicas: 1, url: "u", conditions: [c1, c2] },
        { url: "u", replicas: 1, conditions: [c2, c1] },
      ),
    ).toBe(false);
  });

  it("sees any changed field", () => {
    expect(statusNeedsWrite({ replicas: 1 }, { replicas: 2 })).toBe(true);
    expect(statusNeedsWrite(undefined, { replicas: 0 })).toBe(true);
    expect(statusNeedsWrite({ replicas: 1 }, { replicas: 1, url: "u" })).toBe(true);
    expect(statusNeedsWrite({ replicas: 1, url: "u" }, { replicas: 1 })).toBe(true);
  });

  it("sees a changed condition, in either order, its transition time included", () => {
    const ready = {
      type: "Ready",
      status: "True" as const,
      reason: "AllReplicasReady",
      message: "",
      lastTransitionTime: "2026-11-26T04:00:00Z",
    };
    const degraded = { ...ready, type: "Degraded", status: "False" as const, reason: "AsExpected" };
    const before = { conditions: [ready, degraded] };
    const later = { ...ready, lastTransitionTime: "2026-11-26T05:00:00Z" };
    expect(statusNeedsWrite(before, { conditions: [later, degraded] })).toBe(true);
    expect(statusNeedsWrite(before, { conditions: [degraded, later] })).toBe(true);
    expect(statusNeedsWrite(before, { conditions: [ready] })).toBe(true);
    expect(statusNeedsWrite(before, { conditions: [ready, { ...ready, type: "Progressing" }] })).toBe(true);
  });

  it("counts an undefined field and missing conditions as nothing", () => {
    expect(statusNeedsWrite({ replicas: 1 }, { replicas: 1, url: undefined, conditions: [] })).toBe(false);
  });
});
