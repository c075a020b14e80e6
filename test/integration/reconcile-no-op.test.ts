// The pure reconciler against what a real API server returns. Children are server-side applied exactly as the
// operator does (one field manager, force), read back with the server's defaults, canonical quantities and
// managedFields, and reconciled again: the second plan must be empty, or an idle operator would write forever.
// Removing a field from the spec must produce an apply that removes it from the child.
import type { KubernetesObject, V1Deployment, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_GREETER_RESOURCES,
  FIELD_MANAGER,
  type Greeter,
  type GreeterSpecInput,
} from "../../operator/api/v1alpha1/index.ts";
import {
  type NetworkPolicy,
  type ObservedChildren,
  reconcileGreeter,
  type ServiceMonitor,
} from "../../operator/controller/reconcile.ts";
import { EVERY_FIELD } from "../../operator/controller/testing/fixtures.ts";
import { kubectl, useTestNamespace } from "../cluster/testing.ts";

const ns = useTestNamespace("noop", "file");

const ctx = () => ({ defaultImage: "greeter:0.1.0", now: new Date() });

async function run(args: string[], input?: string): Promise<string> {
  const res = await kubectl(args, { namespace: ns.name, ...(input === undefined ? {} : { input }) });
  if (res.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${res.stderr}`);
  return res.stdout;
}

async function putGreeter(name: string, spec: GreeterSpecInput): Promise<Greeter> {
  const body = { apiVersion: "greeter.operator.dev/v1alpha1", kind: "Greeter", metadata: { name }, spec };
  await run(
    ["apply", "--server-side", "--field-manager=test", "--force-conflicts", "-f", "-"],
    JSON.stringify(body),
  );
  return JSON.parse(await run(["get", "greeter", name, "-o", "json"])) as Greeter;
}

async function getOrUndefined<T>(resource: string, name: string): Promise<T | undefined> {
  const res = await kubectl(["get", resource, name, "-o", "json", "--show-managed-fields"], {
    namespace: ns.name,
  });
  return res.code === 0 ? (JSON.parse(res.stdout) as T) : undefined;
}

async function observe(name: string): Promise<ObservedChildren> {
  return {
    deployment: await getOrUndefined<V1Deployment>("deployments.apps", name),
    service: await getOrUndefined<V1Service>("services", name),
    metricsService: await getOrUndefined<V1Service>("services", `${name}-metrics`),
    serviceMonitor: await getOrUndefined<ServiceMonitor>("servicemonitors.monitoring.coreos.com", name),
    networkPolicy: await getOrUndefined<NetworkPolicy>("networkpolicies.networking.k8s.io", name),
    serviceMonitorCrdInstalled: true,
    pods: [],
  };
}

async function applyAll(objects: KubernetesObject[]): Promise<void> {
  for (const obj of objects) {
    await run(
      ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "--force-conflicts", "-f", "-"],
      JSON.stringify(obj),
    );
  }
}

/** Reconciles until the plan applies nothing (at most 3 rounds) and returns the kinds applied per round. */
async function converge(greeter: Greeter): Promise<string[][]> {
  const rounds: string[][] = [];
  for (let i = 0; i < 3; i++) {
    const plan = reconcileGreeter(greeter, await observe(greeter.metadata.name ?? ""), ctx());
    rounds.push(plan.apply.map((o) => o.kind ?? ""));
    if (plan.apply.length === 0) break;
    await applyAll(plan.apply);
  }
  return rounds;
}

describe("no-op detection against real server defaults", () => {
  it.each([
    ["defaults", {}],
    ["every optional field", EVERY_FIELD],
    ["replicas 0", { replicas: 0 }],
    ["LoadBalancer with a fixed nodePort", { service: { type: "LoadBalancer", nodePort: 30123 } }],
    ["NodePort, with its metrics Service", { service: { type: "NodePort" } }],
    [
      "network policy with every kind of peer",
      {
        networkPolicy: {
          enabled: true,
          namespaces: ["shop", "cart"],
          namespaceSelector: {
            matchLabels: { team: "web" },
            matchExpressions: [{ key: "tier", operator: "Exists" }],
          },
          ipBlocks: [{ cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] }, { cidr: "2001:db8::/32" }],
        },
      },
    ],
    ["network policy admitting every namespace", { networkPolicy: { enabled: true, namespaceSelector: {} } }],
    ["network policy closed to all", { networkPolicy: { enabled: true, monitoringNamespaces: [] } }],
    ["monitoring disabled", { monitoring: { enabled: false } }],
  ] as [string, GreeterSpecInput][])("applies once, then nothing: %s", async (label, spec) => {
    const name = `g-${label.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`.slice(0, 40).replace(/-$/, "");
    const greeter = await putGreeter(name, spec);
    const rounds = await converge(greeter);
    expect(rounds[0]?.length).toBeGreaterThan(0);
    expect(rounds).toHaveLength(2);
    expect(rounds[1]).toEqual([]);
  });

  it("removes from the children what was removed from the spec, then is idle again", async () => {
    let greeter = await putGreeter("shrinking", EVERY_FIELD);
    await converge(greeter);
    greeter = await putGreeter("shrinking", {});
    const rounds = await converge(greeter);
    expect(rounds[0]).toEqual(["Deployment", "Service", "ServiceMonitor"]);
    expect(rounds[1]).toEqual([]);
    const { deployment, serviceMonitor, service } = await observe("shrinking");
    const pod = deployment?.spec?.template.spec;
    expect(pod?.nodeSelector).toBeUndefined();
    expect(pod?.tolerations).toBeUndefined();
    expect(pod?.affinity).toBeUndefined();
    expect(pod?.containers[0]?.resources).toEqual(DEFAULT_GREETER_RESOURCES);
    expect(pod?.containers[0]?.image).toBe("greeter:0.1.0");
    expect(service?.spec?.type).toBe("ClusterIP");
    expect(serviceMonitor?.metadata?.labels).not.toHaveProperty("release");
  });

  it("takes a rule out of the NetworkPolicy when its sources are removed from the spec, then is idle again", async () => {
    const open = { enabled: true, namespaces: ["shop"], ipBlocks: [{ cidr: "10.0.0.0/8" }] };
    let greeter = await putGreeter("narrowing", { networkPolicy: open });
    await converge(greeter);
    greeter = await putGreeter("narrowing", { networkPolicy: { enabled: true } });
    const rounds = await converge(greeter);
    expect(rounds[0]).toEqual(["NetworkPolicy"]);
    expect(rounds[1]).toEqual([]);
    const { networkPolicy } = await observe("narrowing");
    expect(networkPolicy?.spec?.ingress?.map((r) => r.ports?.[0]?.port)).toEqual(["metrics"]);
  });

  it("reports a Service it does not control as a NameConflict and leaves it alone", async () => {
    const foreign = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "taken" },
      spec: { ports: [{ port: 9999 }], selector: { app: "other" } },
    };
    await run(["apply", "-f", "-"], JSON.stringify(foreign));
    const greeter = await putGreeter("taken", {});
    const plan = reconcileGreeter(greeter, await observe("taken"), ctx());
    expect(plan.apply.map((o) => o.kind)).not.toContain("Service");
    expect(plan.status.conditions?.find((c) => c.type === "Degraded")).toMatchObject({
      status: "True",
      reason: "NameConflict",
    });
  });
});
