import pino from "pino";
import { describe, expect, it } from "vitest";
import { ApiError } from "./api-error.ts";
import { type EventObject, EventRecorder } from "./event-recorder.ts";

const greeter = {
  apiVersion: "example.dev/v1",
  kind: "Widget",
  metadata: { name: "w", namespace: "team", uid: "uid-1" },
};

function sink(failCreates = false) {
  const created: EventObject[] = [];
  const patches: Array<{ name: string; patch: unknown }> = [];
  return {
    created,
    patches,
    async create(e: EventObject) {
      if (failCreates) throw new ApiError(403, "Forbidden", "events is forbidden");
      created.push(e);
      return e;
    },
    async mergePatch(_ns: string | undefined, name: string, patch: unknown) {
      patches.push({ name, patch });
      return {} as EventObject;
    },
  };
}

describe("EventRecorder", () => {
  it("writes an events.k8s.io/v1 Event about the object", async () => {
    const events = sink();
    const recorder = new EventRecorder({
      events,
      reportingController: "ex/op",
      reportingInstance: "pod-1",
      log: pino({ level: "silent" }),
    });
    recorder.record(greeter, {
      type: "Warning",
      reason: "ApplyFailed",
      action: "Apply",
      note: "x".repeat(2000),
    });
    await recorder.flush();
    expect(events.created).toHaveLength(1);
    const [e] = events.created;
    expect(e).toMatchObject({
      apiVersion: "events.k8s.io/v1",
      metadata: { namespace: "team" },
      reportingController: "ex/op",
      reportingInstance: "pod-1",
      type: "Warning",
      reason: "ApplyFailed",
      action: "Apply",
      regarding: { apiVersion: "example.dev/v1", kind: "Widget", namespace: "team", name: "w", uid: "uid-1" },
    });
    expect(e?.metadata?.name).toMatch(/^w\.[0-9a-f]{16}$/);
    expect(e?.note).toHaveLength(1024);
    expect(e?.eventTime).toMatch(/\.\d{6}Z$/);
  });

  it("counts repeats into one Event's series instead of creating new Events", async () => {
    const events = sink();
    let now = 1_000_000;
    const recorder = new EventRecorder({
      events,
      reportingController: "ex/op",
      reportingInstance: "pod-1",
      log: pino({ level: "silent" }),
      now: () => now,
      seriesFlushMs: 60_000,
    });
    const spec = {
      type: "Warning" as const,
      reason: "BackOff",
      action: "Reconcile",
      note: "image cannot be pulled",
    };
    for (let i = 0; i < 5; i++) {
      recorder.record(greeter, spec);
      now += 1000;
    }
    recorder.record(greeter, { ...spec, note: "a different note" });
    await recorder.flush();
    expect(events.created.map((e) => e.note)).toEqual(["image cannot be pulled", "a different note"]);
    // The first repeat is written at once; the rest are coalesced into one later write.
    const name = events.created[0]?.metadata?.name;
    expect(events.patches).toEqual([
      { name, patch: { series: { count: 2, lastObservedTime: expect.any(String) } } },
      { name, patch: { series: { count: 5, lastObservedTime: expect.any(String) } } },
    ]);
    now += 7 * 60_000; // after the series window, the same Event starts afresh
    recorder.record(greeter, spec);
    await recorder.flush();
    expect(events.created).toHaveLength(3);
  });

  it("writes nothing more once abandoned, as after losing the lease: no pending series count, no write in flight", async () => {
    const events = sink();
    const aborted: string[] = [];
    let now = 1_000_000;
    const recorder = new EventRecorder({
      events: {
        ...events,
        // A write still in flight when the lease is lost: it must be cancelled, not left to land.
        create: (e, signal) =>
          new Promise((_, reject) =>
            signal?.addEventListener("abort", () => {
              aborted.push(e.reason ?? "");
              reject(signal.reason);
            }),
          ),
        mergePatch: events.mergePatch,
      },
      reportingController: "ex/op",
      reportingInstance: "pod-1",
      log: pino({ level: "silent" }),
      now: () => now,
      seriesFlushMs: 60_000,
    });
    const spec = { type: "Warning" as const, reason: "BackOff", action: "Reconcile", note: "n" };
    for (let i = 0; i < 3; i++) {
      recorder.record(greeter, spec);
      now += 1000;
    }
    expect(events.patches).toHaveLength(1); // the first repeat; the third waits for the flush period
    recorder.abandon();
    await recorder.flush();
    expect(events.patches).toHaveLength(1);
    expect(aborted).toEqual(["BackOff"]);
  });

  it("never throws when the API refuses the Event", async () => {
    const recorder = new EventRecorder({
      events: sink(true),
      reportingController: "ex/op",
      reportingInstance: "pod-1",
      log: pino({ level: "silent" }),
    });
    expect(() =>
      recorder.record(greeter, { type: "Normal", reason: "Created", action: "Create", note: "ok" }),
    ).not.toThrow();
    await expect(recorder.flush()).resolves.toBeUndefined();
  });
});
