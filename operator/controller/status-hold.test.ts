import { describe, expect, it } from "vitest";
import type { GreeterStatus } from "../api/v1alpha1/greeter.ts";
import { StatusHold } from "./status-hold.ts";

const status = (ready: "True" | "False", degraded: "True" | "False" = "False"): GreeterStatus => ({
  observedGeneration: 1,
  conditions: [
    { type: "Ready", status: ready, reason: "r", message: "", lastTransitionTime: "2026-11-26T04:00:00Z" },
    {
      type: "Degraded",
      status: degraded,
      reason: "r",
      message: "",
      lastTransitionTime: "2026-11-26T04:00:00Z",
    },
  ],
});

describe("StatusHold", () => {
  it("writes Ready and Degraded at once", () => {
    const hold = new StatusHold(2000, () => 0);
    expect(hold.delay("ns/a", status("True"))).toBe(0);
    expect(hold.delay("ns/a", status("False", "True"))).toBe(0);
  });

  it("holds progress from the start of a change, then writes the latest at most once per hold", () => {
    let now = 1000;
    const hold = new StatusHold(2000, () => now);
    expect(hold.delay("ns/a", status("False"))).toBe(2000);
    now = 2500;
    expect(hold.delay("ns/a", status("False"))).toBe(500);
    now = 3000;
    expect(hold.delay("ns/a", status("False"))).toBe(0);
    now = 3100;
    expect(hold.delay("ns/a", status("False"))).toBe(1900);
  });

  it("lets a Greeter that becomes Ready within the hold go straight to Ready, and starts afresh after", () => {
    let now = 0;
    const hold = new StatusHold(2000, () => now);
    expect(hold.delay("ns/a", status("False"))).toBe(2000);
    now = 800;
    expect(hold.delay("ns/a", status("True"))).toBe(0);
    expect(hold.size).toBe(0);
    expect(hold.delay("ns/a", status("False"))).toBe(2000);
  });

  it("keeps Greeters apart and forgets deleted ones", () => {
    const hold = new StatusHold(2000, () => 0);
    hold.delay("ns/a", status("False"));
    expect(hold.delay("ns/b", status("False"))).toBe(2000);
    hold.forget("ns/a");
    hold.forget("ns/b");
    expect(hold.size).toBe(0);
  });

  it("writes everything at once when disabled", () => {
    expect(new StatusHold(0).delay("ns/a", status("False"))).toBe(0);
  });
});
