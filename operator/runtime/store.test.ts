import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { byControllerOwnerUid, byLabel, Store, stripForCache } from "./store.ts";

const obj = (
  name: string,
  extra: Partial<NonNullable<KubernetesObject["metadata"]>> = {},
): KubernetesObject => ({
  metadata: { name, namespace: "ns", ...extra },
});

describe("Store", () => {
  it("keeps indexes in step with inserts, replacements and deletes", () => {
    const store = new Store().addIndex("owner", byControllerOwnerUid).addIndex("app", byLabel("app"));
    const owned = (uid: string) => [{ apiVersion: "v1", kind: "X", name: "o", uid, controller: true }];
    store.set(obj("a", { ownerReferences: owned("u1"), labels: { app: "web" } }));
    store.set(obj("b", { ownerReferences: owned("u1") }));
    expect(store.byIndex("owner", "u1").map((o) => o.metadata?.name)).toEqual(["a", "b"]);
    expect(store.byIndex("app", "ns/web")).toHaveLength(1);

    store.set(obj("a", { ownerReferences: owned("u2") }));
    expect(store.byIndex("owner", "u1").map((o) => o.metadata?.name)).toEqual(["b"]);
    expect(store.byIndex("app", "ns/web")).toEqual([]);

    store.delete("ns/b");
    expect(store.byIndex("owner", "u1")).toEqual([]);
    expect(store.keys()).toEqual(["ns/a"]);
  });

  it("ignores owner references that are not the controller", () => {
    const store = new Store().addIndex("owner", byControllerOwnerUid);
    store.set(obj("a", { ownerReferences: [{ apiVersion: "v1", kind: "X", name: "o", uid: "u1" }] }));
    expect(store.byIndex("owner", "u1")).toEqual([]);
  });
});

describe("stripForCache", () => {
  it("drops managedFields and kubectl's last-applied copy, keeping other metadata", () => {
    const stripped = stripForCache(
      obj("a", {
        managedFields: [{ manager: "kubectl" }],
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{...}", keep: "me" },
        labels: { app: "web" },
      }),
    );
    expect(stripped.metadata).toEqual({
      name: "a",
      namespace: "ns",
      annotations: { keep: "me" },
      labels: { app: "web" },
    });
  });
});
