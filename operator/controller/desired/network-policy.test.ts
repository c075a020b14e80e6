import { describe, expect, it } from "vitest";
import { type GreeterSpecInput, GreeterSpecSchema } from "../../api/v1alpha1/greeter.ts";
import { aGreeter, CTX, UID } from "../testing/fixtures.ts";
import { desiredDeployment } from "./deployment.ts";
import { desiredNetworkPolicy } from "./network-policy.ts";

const build = (networkPolicy: GreeterSpecInput["networkPolicy"]) => {
  const spec = { networkPolicy };
  return desiredNetworkPolicy(aGreeter(spec), GreeterSpecSchema.parse(spec));
};
const byName = (...values: string[]) => ({
  namespaceSelector: {
    matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values }],
  },
});
const scrapes = { from: [byName("monitoring")], ports: [{ protocol: "TCP", port: "metrics" }] };

describe("desiredNetworkPolicy", () => {
  it("is not there unless the Greeter opts in", () => {
    expect(desiredNetworkPolicy(aGreeter(), GreeterSpecSchema.parse({}))).toBeUndefined();
    expect(build({ enabled: false, namespaces: ["shop"] })).toBeUndefined();
  });

  it("selects exactly the Greeter's pods, is owned by the Greeter and restricts ingress only", () => {
    const policy = build({ enabled: true });
    expect(policy?.apiVersion).toBe("networking.k8s.io/v1");
    expect(policy?.metadata).toMatchObject({ name: "hello", namespace: "demo" });
    const pods = desiredDeployment(aGreeter(), GreeterSpecSchema.parse({}), CTX.defaultImage);
    expect(policy?.spec?.podSelector).toEqual(pods.spec?.selector);
    expect(policy?.spec?.policyTypes).toEqual(["Ingress"]);
    expect(policy?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ uid: UID, controller: true }),
    ]);
  });

  it("by default admits only the monitoring namespace, and only to the metrics port: no one may greet", () => {
    expect(build({ enabled: true })?.spec?.ingress).toEqual([scrapes]);
  });

  it("admits greetings on the http port from the named namespaces, by their kubernetes.io/metadata.name", () => {
    expect(build({ enabled: true, namespaces: ["shop", "checkout"] })?.spec?.ingress).toEqual([
      { from: [byName("shop", "checkout")], ports: [{ protocol: "TCP", port: "http" }] },
      scrapes,
    ]);
  });

  it("adds the namespaceSelector and ipBlocks as peers of the same rule, passed through as given", () => {
    const namespaceSelector = {
      matchLabels: { team: "web" },
      matchExpressions: [{ key: "env", operator: "NotIn" as const, values: ["dev"] }],
    };
    const policy = build({
      enabled: true,
      namespaces: ["shop"],
      namespaceSelector,
      ipBlocks: [{ cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] }, { cidr: "2001:db8::/32" }],
    });
    expect(policy?.spec?.ingress?.[0]?.from).toEqual([
      byName("shop"),
      { namespaceSelector },
      { ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } },
      { ipBlock: { cidr: "2001:db8::/32" } },
    ]);
  });

  it("never writes a rule with an empty `from`, which would admit every source", () => {
    const closed = build({ enabled: true, namespaces: [], ipBlocks: [], monitoringNamespaces: [] });
    expect(closed?.spec).not.toHaveProperty("ingress");
    for (const policy of [build({ enabled: true }), build({ enabled: true, namespaces: ["a"] })]) {
      for (const rule of policy?.spec?.ingress ?? []) expect(rule.from?.length).toBeGreaterThan(0);
    }
  });

  it("admits scrapes from the monitoring namespaces the Greeter names", () => {
    const policy = build({ enabled: true, monitoringNamespaces: ["prometheus", "observability"] });
    expect(policy?.spec?.ingress).toEqual([{ ...scrapes, from: [byName("prometheus", "observability")] }]);
  });
});
