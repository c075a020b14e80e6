// The local control plane behaves like a cluster: controllers, scheduler and kwok make a Deployment's Pods
// Running and Ready, ownerReference garbage collection works, and the upstream ServiceMonitor CRD is served.
import { describe, expect, it } from "vitest";
import { eventually, kubectl, localControlPlane, useTestNamespace } from "../cluster/testing.ts";

interface PodList {
  items: {
    metadata: { name: string; ownerReferences?: { kind: string; name: string }[] };
    spec: { nodeName?: string };
    status: { phase?: string; conditions?: { type: string; status: string }[] };
  }[];
}

const deployment = (replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: registry.invalid/web:1
`;

async function getJson<T>(ns: string, ...args: string[]): Promise<T> {
  const res = await kubectl(["get", ...args, "-o", "json"], { namespace: ns });
  if (res.code !== 0) throw new Error(`kubectl get ${args.join(" ")}: ${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}

const ready = (p: PodList["items"][number]) =>
  p.status.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");

// What is proven here is the local control plane itself (kwok nodes, an image nobody pulls).
const local = (await localControlPlane()) !== undefined;

describe.skipIf(!local)("local control plane", () => {
  const ns = useTestNamespace("cp", "test");

  it("runs a Deployment's pods on kwok nodes and garbage-collects its ReplicaSet", async () => {
    const applied = await kubectl(["apply", "-f", "-"], { namespace: ns.name, input: deployment(2) });
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toContain("deployment.apps/web created");

    const pods = await eventually("2 Running and Ready pods", async () => {
      const list = await getJson<PodList>(ns.name, "pods", "-l", "app=web");
      return list.items.length === 2 && list.items.every(ready) ? list.items : undefined;
    });
    for (const pod of pods) {
      expect(pod.spec.nodeName).toMatch(/^kwok-node-/);
      expect(pod.metadata.ownerReferences?.[0]?.kind).toBe("ReplicaSet");
    }
    const rsName = pods[0]?.metadata.ownerReferences?.[0]?.name ?? "";

    const rollout = await kubectl(["rollout", "status", "deployment/web", "--timeout=60s"], {
      namespace: ns.name,
    });
    expect(rollout.code).toBe(0);
    expect(rollout.stdout).toContain("successfully rolled out");

    const scaled = await kubectl(["scale", "deployment/web", "--replicas=1"], { namespace: ns.name });
    expect(scaled.code).toBe(0);
    await eventually("the extra pod to go away", async () => {
      const list = await getJson<PodList>(ns.name, "pods", "-l", "app=web");
      return list.items.length === 1;
    });

    // Deleting only the Deployment (no cascading by kubectl: the server decides) leaves the ReplicaSet
    // to kube-controller-manager's garbage collector.
    const deleted = await kubectl(["delete", "deployment/web", "--cascade=background"], {
      namespace: ns.name,
    });
    expect(deleted.code).toBe(0);
    await eventually("the ReplicaSet and its pods to be garbage-collected", async () => {
      const rs = await kubectl(["get", "replicaset", rsName], { namespace: ns.name });
      const list = await getJson<PodList>(ns.name, "pods", "-l", "app=web");
      return rs.code !== 0 && rs.stderr.includes("NotFound") && list.items.length === 0;
    });
  });

  it("serves the upstream ServiceMonitor CRD", async () => {
    const crd = await kubectl(["get", "crd", "servicemonitors.monitoring.coreos.com", "-o", "json"]);
    expect(crd.code).toBe(0);
    const spec = (JSON.parse(crd.stdout) as { spec: { group: string; names: { kind: string } } }).spec;
    expect(spec).toMatchObject({ group: "monitoring.coreos.com", names: { kind: "ServiceMonitor" } });

    const sm = `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: { name: web }
spec:
  selector: { matchLabels: { app: web } }
  endpoints: [{ port: http, path: /metrics }]
`;
    expect((await kubectl(["apply", "-f", "-"], { namespace: ns.name, input: sm })).code).toBe(0);
    const got = await kubectl(["get", "servicemonitors", "-o", "name"], { namespace: ns.name });
    expect(got).toMatchObject({ code: 0, stdout: "servicemonitor.monitoring.coreos.com/web\n" });

    // The real schema is enforced: an endpoint port must be a string.
    const bad = sm.replace("port: http", "port: 8080");
    const rejected = await kubectl(["apply", "-f", "-"], { namespace: ns.name, input: bad });
    expect(rejected.code).not.toBe(0);
    expect(rejected.stderr).toMatch(/port/);
  });
});
