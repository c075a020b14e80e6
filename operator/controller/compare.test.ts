import { describe, expect, it } from "vitest";
import { type GreeterSpecInput, GreeterSpecSchema } from "../api/v1alpha1/greeter.ts";
import { forChildCache } from "./cache-transforms.ts";
import { applyFingerprint, isSubset, needsApply, ownsUndesiredFields, valueAt } from "./compare.ts";
import { desiredDeployment } from "./desired/deployment.ts";
import { desiredService } from "./desired/service.ts";
import { aGreeter, asServerReturns, CTX } from "./testing/fixtures.ts";

const deployment = (spec: GreeterSpecInput = {}) =>
  desiredDeployment(aGreeter(spec), GreeterSpecSchema.parse(spec), CTX.defaultImage);
const stripManagedFields = <T extends { metadata?: { managedFields?: unknown } }>(o: T): T => {
  const c = structuredClone(o);
  if (c.metadata) delete c.metadata.managedFields;
  return c;
};
const exact = ["spec.template.spec.nodeSelector", "spec.template.spec.containers[0].resources.requests"];

describe("isSubset", () => {
  it("ignores fields only the observed object has", () => {
    expect(isSubset({ a: 1 }, { a: 1, b: 2 })).toBe(true);
    expect(isSubset({ a: { b: 1 } }, { a: { b: 1, c: 3 } })).toBe(true);
  });

  it("sees changed and missing values", () => {
    expect(isSubset({ a: 1 }, { a: 2 })).toBe(false);
    expect(isSubset({ a: 1 }, {})).toBe(false);
    expect(isSubset({ a: false }, {})).toBe(false);
  });

  it("compares lists element by element and by length", () => {
    expect(isSubset([{ a: 1 }], [{ a: 1, b: 2 }])).toBe(true);
    expect(isSubset([{ a: 1 }], [{ a: 1 }, { a: 2 }])).toBe(false);
    expect(isSubset([1, 2], [2, 1])).toBe(false);
  });

  it("compares resource quantities by value, and only under resources.requests and resources.limits", () => {
    const withCpu = (cpu: unknown, at: "requests" | "limits" = "requests") => ({
      spec: { template: { spec: { containers: [{ resources: { [at]: { cpu, memory: "1Gi" } } }] } } },
    });
    expect(isSubset(withCpu("0.5"), withCpu("500m"))).toBe(true);
    expect(isSubset(withCpu("1"), withCpu("1000m"))).toBe(true);
    expect(isSubset(withCpu(1, "limits"), withCpu("1", "limits"))).toBe(true);
    expect(
      isSubset({ resources: { limits: { memory: "1024Mi" } } }, { resources: { limits: { memory: "1Gi" } } }),
    ).toBe(true);
    expect(isSubset(withCpu("0.5"), withCpu("600m"))).toBe(false);
    expect(
      isSubset({ metadata: { labels: { cpu: "0.5" } } }, { metadata: { labels: { cpu: "500m" } } }),
    ).toBe(false);
    expect(isSubset({ requests: { cpu: "0.5" } }, { requests: { cpu: "500m" } })).toBe(false);
    expect(isSubset({ resources: { requests: ["0.5"] } }, { resources: { requests: ["500m"] } })).toBe(false);
  });
});

describe("valueAt", () => {
  it("follows dotted paths with list indexes", () => {
    expect(valueAt({ a: { b: [{ c: 1 }] } }, "a.b[0].c")).toBe(1);
    expect(valueAt({ a: {} }, "a.b[0].c")).toBeUndefined();
  });
});

describe("needsApply", () => {
  it("is true for a child that does not exist", () => {
    expect(needsApply(deployment(), undefined)).toBe(true);
  });

  it("is false when the server only added its defaults", () => {
    const d = deployment({
      resources: { requests: { cpu: "0.5", memory: "1024Mi" } },
      nodeSelector: { a: "b" },
    });
    expect(needsApply(d, asServerReturns(d), exact)).toBe(false);
    const s = desiredService(aGreeter(), GreeterSpecSchema.parse({ service: { type: "NodePort" } }));
    expect(needsApply(s, asServerReturns(s))).toBe(false);
  });

  it("is true when an owned field drifted", () => {
    const d = deployment();
    const drifted = asServerReturns(d);
    const c = drifted.spec?.template.spec?.containers[0];
    if (c) c.image = "evil:latest";
    expect(needsApply(d, drifted)).toBe(true);
  });

  it("is true when the spec changed", () => {
    const observed = asServerReturns(deployment());
    expect(needsApply(deployment({ greeting: "Hi, {name}" }), observed)).toBe(true);
    expect(needsApply(deployment({ replicas: 3 }), observed)).toBe(true);
  });

  it("is true when a map the operator owns lost a key, from managedFields", () => {
    const observed = asServerReturns(deployment({ nodeSelector: { a: "b", c: "d" } }));
    expect(needsApply(deployment({ nodeSelector: { a: "b" } }), observed)).toBe(true);
    expect(needsApply(deployment(), observed)).toBe(true);
  });

  it("is true when a map the operator owns lost a key, from exactPaths when managedFields were stripped", () => {
    const observed = stripManagedFields(asServerReturns(deployment({ nodeSelector: { a: "b", c: "d" } })));
    expect(needsApply(deployment({ nodeSelector: { a: "b" } }), observed, exact)).toBe(true);
    expect(needsApply(deployment(), observed, exact)).toBe(true);
    expect(needsApply(deployment({ nodeSelector: { a: "b" } }), observed)).toBe(false);
  });

  it("is true when resources were removed from the spec", () => {
    const observed = stripManagedFields(
      asServerReturns(deployment({ resources: { requests: { cpu: "1" } } })),
    );
    expect(needsApply(deployment(), observed, exact)).toBe(true);
  });
});

describe("ownsUndesiredFields", () => {
  it("ignores fields set by other managers", () => {
    const d = deployment();
    const observed = asServerReturns(d);
    const pod = observed.spec?.template.spec;
    if (pod) pod.nodeSelector = { set: "by-someone-else" };
    expect(ownsUndesiredFields(observed, d)).toBe(false);
  });

  it("sees a keyed list item we no longer want", () => {
    const d = deployment();
    const observed = asServerReturns(d);
    const env = d.spec?.template.spec?.containers[0]?.env;
    env?.pop();
    expect(ownsUndesiredFields(observed, d)).toBe(true);
  });
});

describe("applyFingerprint", () => {
  const d = deployment();
  const answer = asServerReturns(d);
  const ours = () => answer.metadata?.managedFields?.[0]?.fieldsV1 as Record<string, unknown>;

  it("stays the same while others only add fields of their own", () => {
    const shaped = structuredClone(answer);
    shaped.spec?.template.spec?.containers[0]?.env?.push({ name: "INJECTED", value: "1" });
    shaped.metadata = { ...shaped.metadata, resourceVersion: "99999", annotations: { theirs: "x" } };
    shaped.metadata.managedFields?.push({ manager: "other", operation: "Apply", fieldsV1: { "f:x": {} } });
    expect(applyFingerprint(d, shaped)).toBe(applyFingerprint(d, answer));
  });

  it("moves with the body, with the fields we own and with the object's uid", () => {
    const fingerprint = applyFingerprint(d, answer);
    expect(applyFingerprint(deployment({ replicas: 3 }), answer)).not.toBe(fingerprint);
    const taken = structuredClone(answer);
    const entry = taken.metadata?.managedFields?.[0];
    if (entry) entry.fieldsV1 = { ...ours(), "f:spec": {} };
    expect(applyFingerprint(d, taken)).not.toBe(fingerprint);
    expect(applyFingerprint(d, { ...answer, metadata: { ...answer.metadata, uid: "new" } })).not.toBe(
      fingerprint,
    );
  });

  it("is the same whether managedFields were cached packed or arrived decoded", () => {
    expect(applyFingerprint(d, forChildCache(answer))).toBe(applyFingerprint(d, answer));
  });

  it("is undefined without an object, or without an entry of ours", () => {
    expect(applyFingerprint(d, undefined)).toBeUndefined();
    expect(applyFingerprint(d, stripManagedFields(answer))).toBeUndefined();
  });
});
