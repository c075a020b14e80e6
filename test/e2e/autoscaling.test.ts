// A HorizontalPodAutoscaler on a Greeter, as a user makes one: `kubectl autoscale greeter/busy`. The HPA
// reads pod CPU from the resource metrics API (metrics-server), and writes the Greeter's replicas through its
// scale subresource; the operator carries them to the Deployment. CPU load through the Service scales the
// Greeter, its Deployment and its pods up; once the load stops they come back down (the test's HPA has no
// downscale stabilization window, where the default is 5 minutes).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace, eventually, type TestNamespace } from "../cluster/testing.ts";
import { apply, get, greeterManifest, type KubeObject, must } from "../support/greeters.ts";
import { type ClientPod, clusterIP, STREAM_SCRIPT, type StreamResult, startClientPod } from "./client-pod.ts";

const NAME = "busy";
const MAX = 3;
// Metrics-server samples every 15 s and the HPA controller syncs every 15 s; a Pod must also start and
// pass its readiness probe before the Greeter counts it.
const SCALE_MS = 300_000;

interface Replicas {
  greeter: number | undefined;
  greeterStatus: number | undefined;
  deployment: number | undefined;
  readyPods: number;
}

async function replicas(namespace: string): Promise<Replicas> {
  const greeter = await get(namespace, "greeter", NAME);
  const deployment = await get(namespace, "deployment", NAME);
  const pods = JSON.parse(
    await must(["get", "pods", "-l", `app.kubernetes.io/instance=${NAME}`, "-o", "json"], namespace),
  ).items as KubeObject[];
  const ready = pods.filter(
    (p) =>
      !p.metadata.deletionTimestamp &&
      (p.status?.conditions as Array<{ type: string; status: string }> | undefined)?.some(
        (c) => c.type === "Ready" && c.status === "True",
      ),
  );
  return {
    greeter: greeter?.spec?.replicas as number | undefined,
    greeterStatus: greeter?.status?.replicas as number | undefined,
    deployment: deployment?.spec?.replicas as number | undefined,
    readyPods: ready.length,
  };
}

/** Waits until the Greeter, its status, its Deployment and its ready pods all say `n`. */
async function waitForReplicas(namespace: string, n: number): Promise<void> {
  let last: Replicas | undefined;
  await eventually(
    `greeter/${NAME}, its Deployment and its ready pods at ${n}`,
    async () => {
      last = await replicas(namespace);
      return last.greeter === n && last.deployment === n && last.greeterStatus === n && last.readyPods === n;
    },
    SCALE_MS,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last seen ${JSON.stringify(last)}`);
  });
}

describe("a HorizontalPodAutoscaler on a Greeter", () => {
  let ns: TestNamespace;
  let load: ClientPod | undefined;
  beforeAll(async () => {
    ns = await createTestNamespace("e2e-hpa");
    await must(["label", "namespace", ns.name, "pod-security.kubernetes.io/enforce=restricted"]);
    // A CPU request is what a utilization target is a percentage of.
    await apply(
      ns.name,
      greeterManifest(NAME, { replicas: 1, resources: { requests: { cpu: "50m", memory: "64Mi" } } }),
    );
    await waitForReplicas(ns.name, 1);
  });
  afterAll(async () => {
    await load?.delete();
    await ns?.delete();
  });

  it("scales the Greeter up under CPU load through its Service, and back down when the load stops", async () => {
    await must(["autoscale", `greeter/${NAME}`, "--cpu-percent=50", "--min=1", `--max=${MAX}`], ns.name);
    const behavior = { scaleDown: { stabilizationWindowSeconds: 0 } };
    await must(["patch", "hpa", NAME, "--type=merge", "-p", JSON.stringify({ spec: { behavior } })], ns.name);
    await eventually(
      "the HPA to read the pods' CPU from the resource metrics API",
      async () => {
        const hpa = await get(ns.name, "hpa", NAME);
        const current = hpa?.status?.currentMetrics as Array<{ resource?: { name: string } }> | undefined;
        return current?.some((m) => m.resource?.name === "cpu");
      },
      SCALE_MS,
    );

    load = await startClientPod(ns.name, "load", STREAM_SCRIPT, {
      ECHO_URL: `http://${await clusterIP(ns.name, NAME)}/echo-name`,
      CONCURRENCY: "8",
      MAX_S: "400",
    });
    await load.waitForLine("started");
    await waitForReplicas(ns.name, MAX);
    const scaledBy = (
      await must(["get", "greeter", NAME, "-o", "json", "--show-managed-fields"], ns.name)
    ).match(/"manager":\s*"([^"]+)"[^}]*"subresource":\s*"scale"/)?.[1];
    expect(scaledBy).toBe("kube-controller-manager");

    await load.stop();
    const result = await load.result<StreamResult>();
    expect(result.ok).toBeGreaterThan(0);
    expect(result.errors).toEqual({});
    await waitForReplicas(ns.name, 1);
  });
});
