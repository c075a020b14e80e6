// The operator survives what a real cluster does to it: being killed mid-reconcile, an API server restart,
// watches that come back 410 Gone, and losing its leader; and it stays inside the namespaces it is given.
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { ControlPlane } from "../cluster/control-plane.ts";
import { createTestNamespace, eventually, localControlPlane, useTestNamespace } from "../cluster/testing.ts";
import { apply, get, greeterManifest, greetingOf, list, must, waitForReady } from "../support/greeters.ts";
import { OperatorProcess } from "../support/operator-process.ts";

const cp: ControlPlane | undefined = await localControlPlane();

const started: OperatorProcess[] = [];
async function startOperator(env: Record<string, string> = {}, name?: string): Promise<OperatorProcess> {
  const op = await OperatorProcess.start({ env, ...(name ? { name } : {}) });
  started.push(op);
  return op;
}

// Registered first, so its afterEach runs last: the operators stop before their namespace goes.
const ns = useTestNamespace("res", "test");
afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail") {
    for (const op of started) console.error(`${op.name} log tail:\n${op.logTail(40)}`);
  }
  for (const op of started.splice(0)) await op.stop();
});
afterAll(async () => {
  for (const op of started.splice(0)) await op.kill();
});

const patchGreeting = (name: string, greeting: string) =>
  must(["patch", "greeter", name, "--type=merge", "-p", JSON.stringify({ spec: { greeting } })], ns.name);

const deploymentGreets = (name: string, greeting: string) =>
  eventually(`Deployment ${name} to greet "${greeting}"`, async () => {
    return greetingOf(await get(ns.name, "deployment", name)) === greeting;
  });

async function sumOf(op: OperatorProcess, metric: string, labels: Record<string, string>): Promise<number> {
  return (await op.metrics())
    .filter((s) => s.name === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe("operator resilience", () => {
  it("converges after being killed mid-reconcile and started again", async () => {
    const names = ["g1", "g2", "g3", "g4", "g5"];
    const first = await startOperator({}, "first");
    await apply(
      ns.name,
      names.map((n) => greeterManifest(n, { replicas: 2, greeting: `Hi {name} from ${n}` })).join("---\n"),
    );
    // As soon as it has written anything for these Greeters, it dies without any chance to finish.
    await eventually(
      "the first child to be written",
      async () => (await list(ns.name, "deployments")).length > 0,
    );
    await first.kill();
    // While it is down, a Greeter changes.
    await patchGreeting("g1", "Changed {name}");

    await startOperator({}, "second");
    for (const n of names) {
      const g = await waitForReady(ns.name, n);
      expect(g.status.readyReplicas).toBe(2);
      expect(await get(ns.name, "service", n)).toBeDefined();
    }
    await deploymentGreets("g1", "Changed {name}");
    await deploymentGreets("g5", "Hi {name} from g5");
  });

  it.skipIf(!cp)("resumes its watches after kube-apiserver restarts", async () => {
    const op = await startOperator();
    await apply(ns.name, greeterManifest("web", { replicas: 1, greeting: "Before {name}" }));
    await waitForReady(ns.name, "web");

    await cp?.restartApiServer();
    await patchGreeting("web", "After {name}");
    await deploymentGreets("web", "After {name}");
    await waitForReady(ns.name, "web");
    await op.waitReady();
  });

  it.skipIf(!cp)("relists when its watch is answered 410 Gone, and keeps working", async () => {
    const op = await startOperator();
    await apply(ns.name, greeterManifest("web", { replicas: 1, greeting: "Before {name}" }));
    await waitForReady(ns.name, "web");
    const gone = () => sumOf(op, "greeter_operator_watch_restarts_total", { reason: "gone" });
    const goneBefore = await gone();

    // Move etcd's revision past everything the operator has seen, compact it away, and restart the API
    // server so that its watch cache no longer holds the operator's resourceVersions either.
    const configMaps = Array.from({ length: 20 }, (_, i) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `filler-${i}` },
      data: { n: String(i) },
    }));
    await apply(ns.name, configMaps.map((o) => stringify(o)).join("---\n"));
    await cp?.compactEtcd();
    await cp?.restartApiServer();

    await eventually("a watch to be restarted with reason gone", async () => (await gone()) > goneBefore);
    await patchGreeting("web", "After {name}");
    await deploymentGreets("web", "After {name}");
    await waitForReady(ns.name, "web");
  });

  it("runs exactly one active replica, and the standby takes over when the leader dies", async () => {
    const id = `greeter-operator-${randomBytes(3).toString("hex")}`;
    const env = { LEADER_ELECT: "true", LEADER_ELECTION_ID: id };
    const isLeader = (op: OperatorProcess) => op.metric("leader_election_master_status", { name: id });
    const a = await startOperator(env, "replica-a");
    await eventually("replica a to lead", async () => (await isLeader(a)) === 1);
    const b = await startOperator(env, "replica-b");

    await apply(ns.name, greeterManifest("web", { replicas: 2, greeting: "One {name}" }));
    await waitForReady(ns.name, "web");
    expect(await isLeader(b)).toBe(0);
    // The standby keeps warm caches but sends no write at all (not even to the Lease).
    expect(await b.writes()).toBe(0);
    expect(await sumOf(b, "controller_runtime_reconcile_total", {})).toBe(0);
    expect(await a.writes()).toBeGreaterThan(0);

    // A crash does not release the Lease: b must wait for it to expire, then lead.
    await a.kill();
    await eventually("replica b to take over", async () => (await isLeader(b)) === 1, 45_000);
    await patchGreeting("web", "Two {name}");
    await deploymentGreets("web", "Two {name}");
    expect(await sumOf(b, "controller_runtime_reconcile_total", {})).toBeGreaterThan(0);
  });

  it("in namespace-scoped mode reconciles only the namespaces it watches", async () => {
    const other = await createTestNamespace("res-other");
    try {
      await startOperator({ WATCH_NAMESPACES: ns.name });
      // The unwatched Greeter is created first: had the operator seen it, it would have acted on it first.
      await apply(other.name, greeterManifest("outside", { replicas: 1 }));
      await apply(ns.name, greeterManifest("inside", { replicas: 1 }));
      await waitForReady(ns.name, "inside");

      const outside = await get(other.name, "greeter", "outside");
      expect(outside?.status).toBeUndefined();
      expect(await list(other.name, "deployments")).toEqual([]);
    } finally {
      await other.delete();
    }
  });
});
