import type { V1Deployment } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { SsaCache } from "./ssa-cache.ts";
import { converged } from "./testing/converged.ts";

const { first, observed } = converged();
const desired = first.apply.find((o) => o.kind === "Deployment") as V1Deployment;
const service = first.apply.find((o) => o.kind === "Service");
const asApplied = observed.deployment as V1Deployment;
/** Our apply's answer with a container env var a webhook added. */
const shaped = structuredClone(asApplied);
shaped.spec?.template.spec?.containers[0]?.env?.push({ name: "INJECTED", value: "1" });
const greeter = `${asApplied.metadata?.namespace}/${asApplied.metadata?.name}`;

describe("SsaCache", () => {
  it("keeps nothing for an answer that is what was applied", () => {
    const cache = new SsaCache();
    cache.remember(greeter, desired, asApplied);
    expect(cache.size).toBe(0);
    expect(cache.appliedFor(greeter)).toBeUndefined();
  });

  it("hands a shaped child's fingerprint to its Greeter's next reconcile, and to no other", () => {
    const cache = new SsaCache();
    cache.remember(greeter, desired, shaped);
    expect(cache.appliedFor(greeter)).toEqual({
      [`Deployment/${desired.metadata?.name}`]: expect.any(Number),
    });
    expect(cache.appliedFor("demo/other")).toBeUndefined();
  });

  it("drops the entry when a later answer is what was applied, when the child is deleted, or the Greeter", () => {
    const cache = new SsaCache();
    cache.remember(greeter, desired, shaped);
    cache.remember(greeter, desired, asApplied);
    expect(cache.size).toBe(0);
    cache.remember(greeter, desired, shaped);
    cache.forget(greeter, service ?? {});
    expect(cache.size).toBe(1);
    cache.forget(greeter, desired);
    expect(cache.size).toBe(0);
    cache.remember(greeter, desired, shaped);
    cache.forgetGreeter(greeter);
    expect(cache.size).toBe(0);
  });
});
