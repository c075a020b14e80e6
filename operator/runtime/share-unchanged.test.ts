import { describe, expect, it } from "vitest";
import { shareUnchanged } from "./share-unchanged.ts";

const deployment = (rv: string, ready: number) => ({
  metadata: { name: "web", resourceVersion: rv, labels: { app: "web" }, ownerReferences: [{ uid: "u1" }] },
  spec: { replicas: 1, template: { spec: { containers: [{ name: "c", image: "greeter:1", args: ["a"] }] } } },
  status: { readyReplicas: ready, conditions: [{ type: "Available", status: ready ? "True" : "False" }] },
});

describe("shareUnchanged", () => {
  it("keeps the previous version's unchanged parts and the new version's changed ones", () => {
    const previous = deployment("1", 0);
    const next = shareUnchanged(previous, deployment("2", 1));
    expect(next).toEqual(deployment("2", 1));
    expect(next.spec).toBe(previous.spec);
    expect(next.metadata.labels).toBe(previous.metadata.labels);
    expect(next.metadata.ownerReferences).toBe(previous.metadata.ownerReferences);
    expect(next.metadata).not.toBe(previous.metadata);
    expect(next.status).not.toBe(previous.status);
    expect(previous).toEqual(deployment("1", 0));
  });

  it("returns the previous object itself when nothing changed", () => {
    const previous = deployment("1", 1);
    expect(shareUnchanged(previous, deployment("1", 1))).toBe(previous);
  });

  it("sees added, removed and reordered entries as changes", () => {
    const base: Record<string, unknown> = { a: [1, 2], b: { x: 1 } };
    const added = shareUnchanged(base, { a: [1, 2, 3], b: { x: 1 }, c: 1 });
    expect(added).toEqual({ a: [1, 2, 3], b: { x: 1 }, c: 1 });
    expect(added.b).toBe(base.b);
    const removed = shareUnchanged(base, { a: [1] });
    expect(removed).toEqual({ a: [1] });
    expect(shareUnchanged(base, { a: [2, 1], b: { x: 1 } }).a).toEqual([2, 1]);
    expect(shareUnchanged<unknown>({ a: { x: 1 } }, { a: [1] })).toEqual({ a: [1] });
  });

  it("keeps a class instance whose own fields are identical, and never takes one apart", () => {
    class Packed {
      readonly json: string;
      constructor(json: string) {
        this.json = json;
      }
    }
    const previous = { f: new Packed("{}"), g: new Packed("{}") };
    const next = shareUnchanged(previous, { f: new Packed("{}"), g: new Packed('{"a":{}}') });
    expect(next.f).toBe(previous.f);
    expect(next.g.json).toBe('{"a":{}}');
    // A field holding an object is compared by identity: an equal copy is a change, and stays as it came.
    class Box {
      readonly inner: { n: number };
      constructor(inner: { n: number }) {
        this.inner = inner;
      }
    }
    const before = { box: new Box({ n: 1 }) };
    const fresh = new Box({ n: 1 });
    expect(shareUnchanged(before, { box: fresh }).box).toBe(fresh);
    expect(fresh.inner).not.toBe(before.box.inner);
  });
});
