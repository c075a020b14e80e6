import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { RecentWrites } from "./recent-writes.ts";

const version = (rv: string, note = rv): KubernetesObject => ({
  metadata: { name: "a", namespace: "ns", resourceVersion: rv, annotations: { note } },
});

describe("RecentWrites", () => {
  it("shows our write while the cache still has the version it replaced, then defers to the cache", () => {
    const writes = new RecentWrites();
    writes.remember(version("x1"), version("x2", "ours"));
    expect(writes.read("ns/a", version("x1"))?.metadata?.annotations?.note).toBe("ours");
    expect(writes.read("ns/a", version("x3"))?.metadata?.resourceVersion).toBe("x3");
    // Once the cache moved on, the entry is gone for good.
    expect(writes.read("ns/a", version("x1"))?.metadata?.resourceVersion).toBe("x1");
  });

  it("shows a created object until the cache has it", () => {
    const writes = new RecentWrites();
    writes.remember(undefined, version("c1", "created"));
    expect(writes.read("ns/a", undefined)?.metadata?.annotations?.note).toBe("created");
    expect(writes.read("ns/a", version("c1"))?.metadata?.resourceVersion).toBe("c1");
  });

  it("expires entries the cache never catches up with", () => {
    let now = 0;
    const writes = new RecentWrites(1000, () => now);
    writes.remember(undefined, version("c1"));
    now = 1001;
    expect(writes.read("ns/a", undefined)).toBeUndefined();
  });

  it("drops expired entries nobody reads again, such as the children of a deleted Greeter", () => {
    let now = 0;
    const writes = new RecentWrites(1000, () => now);
    const named = (name: string): KubernetesObject => ({
      metadata: { name, namespace: "ns", resourceVersion: "1" },
    });
    for (let i = 0; i < 100; i++) writes.remember(undefined, named(`deleted-${i}`));
    now = 1001;
    writes.remember(undefined, named("live"));
    expect(writes.size).toBe(1);
    expect(writes.read("ns/live", undefined)?.metadata?.name).toBe("live");
  });
});
