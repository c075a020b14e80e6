// A Greeter's opt-in NetworkPolicy on a real API server, with the operator running under config/rbac: the
// server accepts the object the operator writes, its podSelector picks exactly that Greeter's pods (not a
// neighbour's in the same namespace), and its namespaceSelectors pick exactly the namespaces the Greeter
// names, by list and by label, through kubernetes.io/metadata.name. Enforcement needs a network plugin that
// implements NetworkPolicy, which the local control plane (kwok nodes) does not have: this checks the
// selectors, not the packets.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace, eventually, type TestNamespace } from "../cluster/testing.ts";
import { apply, get, greeterManifest, list, must, waitForReady } from "../support/greeters.ts";
import { OperatorProcess } from "../support/operator-process.ts";

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** A LabelSelector in kubectl's -l syntax, so the API server itself evaluates it. */
function selectorArg(selector: Selector): string {
  const labels = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  const expressions = (selector.matchExpressions ?? []).map((e) => {
    if (e.operator === "In") return `${e.key} in (${e.values?.join(",")})`;
    if (e.operator === "NotIn") return `${e.key} notin (${e.values?.join(",")})`;
    if (e.operator === "Exists") return e.key;
    return `!${e.key}`;
  });
  return [...labels, ...expressions].join(",");
}

const namesOf = (objects: { metadata: { name: string } }[]) => objects.map((o) => o.metadata.name).sort();

async function namespacesMatching(selector: Selector): Promise<string[]> {
  const out = await must(["get", "namespaces", "-l", selectorArg(selector), "-o", "json"]);
  return namesOf((JSON.parse(out) as { items: { metadata: { name: string } }[] }).items);
}

let operator: OperatorProcess;
let home: TestNamespace;
const others: Record<"shop" | "cart" | "monitoring" | "elsewhere", TestNamespace> = {} as never;
const team = `web-${randomBytes(3).toString("hex")}`;

beforeAll(async () => {
  operator = await OperatorProcess.start();
  home = await createTestNamespace("np");
  for (const k of ["shop", "cart", "monitoring", "elsewhere"] as const) {
    others[k] = await createTestNamespace(`np-${k}`);
  }
  await must(["label", "namespace", others.cart.name, `team=${team}`]);
}, 120_000);
afterAll(async () => {
  for (const ns of [home, ...Object.values(others)]) await ns?.delete();
  expect(await operator?.stop()).toBe(0);
});

describe("a Greeter's opt-in NetworkPolicy", () => {
  it("admits greetings from exactly the namespaces named and scrapes from the monitoring namespace, to exactly its pods", async () => {
    await apply(
      home.name,
      greeterManifest("guarded", {
        replicas: 2,
        networkPolicy: {
          enabled: true,
          namespaces: [others.shop.name],
          namespaceSelector: { matchLabels: { team } },
          monitoringNamespaces: [others.monitoring.name],
        },
      }),
    );
    await apply(home.name, greeterManifest("neighbour", { replicas: 1 }));
    await waitForReady(home.name, "guarded");
    await waitForReady(home.name, "neighbour");

    const policy = await eventually("NetworkPolicy guarded", () =>
      get(home.name, "networkpolicy", "guarded"),
    );
    const greeter = await get(home.name, "greeter", "guarded");
    expect(policy.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: "Greeter", uid: greeter?.metadata.uid, controller: true }),
    ]);
    expect(policy.spec.policyTypes).toEqual(["Ingress"]);

    // The pods the policy applies to are the Greeter's, all of them, and no one else's.
    const selected = await list(home.name, "pods", selectorArg(policy.spec.podSelector));
    const guardedPods = await list(home.name, "pods", "greeter.operator.dev/greeter=guarded");
    expect(guardedPods).toHaveLength(2);
    expect(namesOf(selected)).toEqual(namesOf(guardedPods));
    expect(await get(home.name, "networkpolicy", "neighbour")).toBeUndefined();

    const [greetings, scrapes] = policy.spec.ingress as Array<{
      from: { namespaceSelector?: Selector }[];
      ports: { port: string; protocol: string }[];
    }>;
    expect(policy.spec.ingress).toHaveLength(2);
    // Named ports: each must be a port the greeter container declares, or the rule admits nothing.
    const declared = guardedPods[0]?.spec.containers[0].ports.map((p: { name: string }) => p.name);
    expect(greetings?.ports).toEqual([{ port: "http", protocol: "TCP" }]);
    expect(scrapes?.ports).toEqual([{ port: "metrics", protocol: "TCP" }]);
    expect(declared).toEqual(expect.arrayContaining(["http", "metrics"]));

    const admitted = async (rule: typeof greetings) => {
      const names = new Set<string>();
      for (const peer of rule?.from ?? []) {
        expect(peer.namespaceSelector, "every peer is a namespaceSelector here").toBeDefined();
        for (const n of await namespacesMatching(peer.namespaceSelector as Selector)) names.add(n);
      }
      return [...names].sort();
    };
    // The Greeter's own namespace is not admitted unless named.
    expect(await admitted(greetings)).toEqual([others.shop.name, others.cart.name].sort());
    expect(await admitted(scrapes)).toEqual([others.monitoring.name]);
  });

  it("is deleted once the Greeter no longer opts in, and the Greeter stays Ready", async () => {
    await apply(home.name, greeterManifest("optout", { networkPolicy: { enabled: true } }));
    await eventually("NetworkPolicy optout", () => get(home.name, "networkpolicy", "optout"));
    await must(
      ["patch", "greeter", "optout", "--type=merge", "-p", '{"spec":{"networkPolicy":null}}'],
      home.name,
    );
    await eventually(
      "NetworkPolicy optout to be deleted",
      async () => !(await get(home.name, "networkpolicy", "optout")),
    );
    await waitForReady(home.name, "optout");
  });

  it("leaves a NetworkPolicy of that name it does not control alone, and says so", async () => {
    const foreign = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "taken" },
      spec: { podSelector: { matchLabels: { app: "other" } }, policyTypes: ["Ingress"] },
    };
    await must(["apply", "-f", "-"], home.name, JSON.stringify(foreign));
    await apply(home.name, greeterManifest("taken", { networkPolicy: { enabled: true } }));
    await eventually("Greeter taken to report the NameConflict", async () => {
      const g = await get(home.name, "greeter", "taken");
      const degraded = g?.status?.conditions?.find((c: { type: string }) => c.type === "Degraded");
      return degraded?.reason === "NameConflict" && degraded.message.includes("NetworkPolicy");
    });
    const kept = await get(home.name, "networkpolicy", "taken");
    expect(kept?.spec.podSelector).toEqual({ matchLabels: { app: "other" } });
  });
});
