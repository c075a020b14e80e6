import { describe, expect, it } from "vitest";
import { StringPool } from "./string-pool.ts";

const pod = (i: number) => ({
  metadata: {
    name: `web-${i}`,
    namespace: "demo",
    uid: `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`,
    resourceVersion: String(1000 + i),
    creationTimestamp: "2026-11-26T06:00:00Z",
    labels: { app: "greeter", tier: "web" },
  },
  status: {
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: `2026-11-26T06:00:0${i % 10}Z` }],
    phase: "Running",
  },
  spec: { args: ["--port", "8080"] },
});

describe("StringPool", () => {
  it("leaves objects equal to what was decoded", () => {
    const pool = new StringPool();
    const objects = [1, 2, 3].map(pod);
    for (const o of objects) pool.internValues(o);
    expect(objects).toEqual([1, 2, 3].map(pod));
  });

  it("keeps one entry per repeated value and none for values unique to an object", () => {
    const pool = new StringPool();
    for (let i = 0; i < 100; i++) pool.internValues(pod(i));
    // Per pod only its name is new; uid, resourceVersion and timestamps are never pooled.
    const shared = ["demo", "greeter", "web", "Ready", "True", "Running", "--port", "8080"].length;
    expect(pool.size).toBe(shared + 100);
  });

  it("stays bounded: a full pool starts over", () => {
    const pool = new StringPool(10);
    for (let i = 0; i < 25; i++) pool.intern(`value-${i}`);
    expect(pool.size).toBeLessThanOrEqual(10);
    expect(pool.intern("value-24")).toBe("value-24");
  });

  it("does not pool long texts", () => {
    const pool = new StringPool();
    pool.internValues({ message: "x".repeat(600) });
    expect(pool.size).toBe(0);
  });
});
