import { describe, expect, it } from "vitest";
import { coalesceChildEvents } from "./child-events.ts";
import { childEvent } from "./events.ts";
import type { EventSpec } from "./types.ts";

const ref = (kind: string) => ({ apiVersion: "v1", kind, namespace: "demo", name: "web" });

describe("coalesceChildEvents", () => {
  it("tells what one reconcile created in a single Event", () => {
    const events = [
      childEvent("Created", ref("Deployment")),
      childEvent("Created", ref("Service")),
      childEvent("Created", ref("ServiceMonitor")),
    ];
    expect(coalesceChildEvents(events)).toEqual([
      {
        type: "Normal",
        reason: "Created",
        action: "Create",
        note: "Created Deployment demo/web, Service demo/web, ServiceMonitor demo/web",
      },
    ]);
  });

  it("keeps a lone child event as it was, apart from other reasons and from condition events", () => {
    const ready: EventSpec = {
      type: "Normal",
      reason: "AllReplicasReady",
      action: "Reconcile",
      note: "Ready is True",
    };
    const events = [
      childEvent("Updated", ref("Deployment")),
      ready,
      childEvent("Deleted", ref("ServiceMonitor")),
    ];
    expect(coalesceChildEvents(events)).toEqual(events);
  });
});
