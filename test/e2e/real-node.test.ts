// What only a real node gives, seen from inside the cluster: a client pod reaches a Greeter through its
// Service's ClusterIP (kube-proxy, not a port-forward); not one request fails while the operator rolls a
// new greeting out or scales the Greeter down; the kubelet replaces a deleted pod and reports a crashing
// image, which the operator turns into Degraded; and a standby operator takes over from a deleted leader.
// Runs on kind (hack/e2e-kind.sh), in a namespace that enforces the `restricted` Pod Security level.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace, eventually, type TestNamespace } from "../cluster/testing.ts";
import {
  apply,
  condition,
  get,
  greeterManifest,
  greetingOf,
  list,
  must,
  waitForCondition,
  waitForReady,
} from "../support/greeters.ts";
import { readerBinding, serviceAccountToken } from "../support/operator-metrics.ts";
import { parsePromText, sampleValue } from "../support/prom-text.ts";
import {
  clusterIP,
  PROBE_SCRIPT,
  STREAM_SCRIPT,
  type StreamResult,
  startClientPod,
  waitForRunning,
} from "./client-pod.ts";

const OPERATOR_NAMESPACE = "greeter-operator-system";
const VERSION = (
  JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as {
    version: string;
  }
).version;
const READY_MS = 180_000;
// The operator's default (operator/config.ts): a standby may take over once the holder has not renewed it
// for this long, and a released Lease at once.
const LEASE_DURATION_MS = 15_000;

async function restrictedNamespace(prefix: string): Promise<TestNamespace> {
  const ns = await createTestNamespace(prefix);
  await must([
    "label",
    "namespace",
    ns.name,
    "pod-security.kubernetes.io/enforce=restricted",
    "pod-security.kubernetes.io/enforce-version=latest",
  ]);
  return ns;
}

const setGreeting = (namespace: string, name: string, greeting: string) =>
  must(["patch", "greeter", name, "--type=merge", "-p", JSON.stringify({ spec: { greeting } })], namespace);

const greeterPods = async (namespace: string, name: string) =>
  (await list(namespace, "pods", `app.kubernetes.io/instance=${name}`)).filter(
    (p) => !p.metadata.deletionTimestamp,
  );

describe("a Greeter's Service, from a pod in the cluster", () => {
  let ns: TestNamespace;
  const name = "svc";
  beforeAll(async () => {
    ns = await restrictedNamespace("e2e-svc");
    await apply(ns.name, greeterManifest(name, { replicas: 3, greeting: "Grüß dich, {name}! 👋" }));
    await waitForReady(ns.name, name, READY_MS);
  });
  afterAll(async () => {
    await ns?.delete();
  });

  it("answers POST /echo-name through its ClusterIP with the configured greeting, for a non-ASCII name", async () => {
    const ip = await clusterIP(ns.name, name);
    const operatorIP = await clusterIP(OPERATOR_NAMESPACE, "greeter-operator-metrics");
    const operatorUrl = `https://${operatorIP}:8443/metrics`;
    // A scraper's identity: a ServiceAccount bound to greeter-operator-metrics-reader.
    const token = await serviceAccountToken(ns.name, "scraper", { reader: true });
    const client = await startClientPod(ns.name, "probe", PROBE_SCRIPT, {
      ECHO_URL: `http://${ip}/echo-name`,
      NAME: "Zoë Ødegård",
      METRICS_URLS: `http://${ip}:9464/metrics http://${ip}/metrics ${operatorUrl}`,
      METRICS_TOKEN: token,
    });
    const out = await client.result<{
      echo: { status: number; body: unknown };
      metrics: Record<string, { status: number; text: string }>;
      anonymous: Record<string, number>;
    }>();
    await must(["delete", "clusterrolebinding", readerBinding(ns.name, "scraper"), "--ignore-not-found"]);
    expect(out.echo).toEqual({ status: 200, body: { message: "Grüß dich, Zoë Ødegård! 👋" } });

    // Both /metrics endpoints answer inside the cluster, each with what it is there to show; the greeter's on
    // the Service's metrics port only.
    expect(out.metrics[`http://${ip}/metrics`]?.status).toBe(404);
    const greeterMetrics = out.metrics[`http://${ip}:9464/metrics`];
    expect(greeterMetrics?.status).toBe(200);
    // Three pods behind the Service: this scrape may reach one that has not served the POST above.
    const g = parsePromText(greeterMetrics?.text ?? "");
    expect(sampleValue(g, "greeter_build_info", { version: VERSION })).toBe(1);
    expect(g.some((s) => s.name === "process_resident_memory_bytes")).toBe(true);
    // The operator's only over HTTPS, and only to a token that may read it.
    expect(out.anonymous[operatorUrl]).toBe(401);
    const operatorMetrics = out.metrics[operatorUrl];
    expect(operatorMetrics?.status, operatorMetrics?.text).toBe(200);
    const o = parsePromText(operatorMetrics?.text ?? "");
    expect(o.some((s) => s.name === "leader_election_master_status")).toBe(true);
    // Either replica may answer: the standby has reconciled nothing, but serves its process metrics too.
    expect(o.some((s) => s.name === "process_resident_memory_bytes")).toBe(true);
  });

  it("loses no request while a new greeting rolls out and while a scale-down removes pods", async () => {
    const ip = await clusterIP(ns.name, name);
    const stream = await startClientPod(ns.name, "stream", STREAM_SCRIPT, {
      ECHO_URL: `http://${ip}/echo-name`,
      CONCURRENCY: "4",
      MAX_S: "300",
    });
    try {
      await waitForRunning(ns.name, stream.name);
      await stream.waitForLine("started");

      const before = new Set((await greeterPods(ns.name, name)).map((p) => p.metadata.name));
      await setGreeting(ns.name, name, "Servus, {name}.");
      await eventually(
        "the rollout to replace every pod",
        async () => {
          const all = await list(ns.name, "pods", `app.kubernetes.io/instance=${name}`);
          const current = all.filter((p) => !p.metadata.deletionTimestamp);
          const ready = current.filter((p) =>
            (p.status?.conditions ?? []).some(
              (c: { type: string; status: string }) => c.type === "Ready" && c.status === "True",
            ),
          );
          // Done when only new pods are left, all ready, and the old ones are gone (not just terminating).
          return all.every((p) => !before.has(p.metadata.name)) && ready.length === 3 && current.length === 3;
        },
        READY_MS,
      );
      await waitForReady(ns.name, name, READY_MS);

      await must(["scale", "greeter", name, "--replicas=1"], ns.name);
      await eventually(
        "the scale-down to remove two pods",
        async () => (await list(ns.name, "pods", `app.kubernetes.io/instance=${name}`)).length === 1,
        READY_MS,
      );
    } finally {
      await stream.stop().catch(() => undefined);
    }
    const r = await stream.result<StreamResult>();
    // The whole result in the message: the summary line CI prints shows only the assertion's first line.
    expect({ non200: r.non200, errors: r.errors }, JSON.stringify(r)).toEqual({ non200: {}, errors: {} });
    // The stream really spanned both changes: it was answered by the old and the new greeting.
    expect(r.greetings["Grüß dich, Zoë! 👋"]).toBeGreaterThan(0);
    expect(r.greetings["Servus, Zoë."]).toBeGreaterThan(0);
    expect(r.ok).toBeGreaterThan(100);
    await stream.delete();
  });
});

describe("the kubelet's view of a Greeter's pods", () => {
  let ns: TestNamespace;
  beforeAll(async () => {
    ns = await restrictedNamespace("e2e-pods");
  });
  afterAll(async () => {
    await ns?.delete();
  });

  it("replaces a deleted pod, and the Greeter returns to Ready", async () => {
    const name = "replaced";
    await apply(ns.name, greeterManifest(name, { replicas: 2 }));
    await waitForReady(ns.name, name, READY_MS);
    const [victim] = await greeterPods(ns.name, name);
    await must(["delete", "pod", victim?.metadata.name ?? "", "--wait=false"], ns.name);
    await eventually(
      "a replacement pod, and the Greeter Ready with 2 ready replicas",
      async () => {
        const pods = await greeterPods(ns.name, name);
        const g = await get(ns.name, "greeter", name);
        return (
          pods.length === 2 &&
          !pods.some((p) => p.metadata.name === victim?.metadata.name) &&
          condition(g, "Ready")?.status === "True" &&
          g?.status?.readyReplicas === 2
        );
      },
      READY_MS,
    );
  });

  it("reports an image that crashes as Degraded, with the kubelet's CrashLoopBackOff", async () => {
    const name = "crashing";
    // The greeter image with a command that exits 1 at once (hack/e2e-kind.sh builds and loads it, so
    // nothing is pulled): the kubelet restarts it into CrashLoopBackOff for real.
    await apply(ns.name, greeterManifest(name, { replicas: 1, image: "greeter-crashing:e2e" }));
    const g = await waitForCondition(ns.name, name, "Degraded", "True", "CrashLooping", READY_MS);
    expect(condition(g, "Degraded")?.message).toContain("CrashLoopBackOff");
    expect(condition(g, "Ready")?.status).toBe("False");
  });
});

describe("the operator's two replicas", () => {
  let ns: TestNamespace;
  beforeAll(async () => {
    ns = await restrictedNamespace("e2e-failover");
  });
  afterAll(async () => {
    await ns?.delete();
  });

  const holder = async () =>
    (
      JSON.parse(await must(["get", "lease", "greeter-operator", "-o", "json"], OPERATOR_NAMESPACE)) as {
        spec?: { holderIdentity?: string };
      }
    ).spec?.holderIdentity ?? "";
  const podOf = (identity: string) => identity.split("_")[0] ?? "";

  it("hand over to the standby when the leader pod is deleted, and the new leader reconciles", async () => {
    const name = "failover";
    await apply(ns.name, greeterManifest(name, { replicas: 1, greeting: "Before, {name}." }));
    await waitForReady(ns.name, name, READY_MS);
    const selector = "app.kubernetes.io/name=greeter-operator";
    await eventually(
      "two running operator pods",
      async () =>
        (await list(OPERATOR_NAMESPACE, "pods", selector)).filter(
          (p) => !p.metadata.deletionTimestamp && p.status?.phase === "Running",
        ).length === 2,
      READY_MS,
    );
    const leader = podOf(await holder());
    expect(leader).not.toBe("");

    const deleted = Date.now();
    await must(["delete", "pod", leader, "--wait=false"], OPERATOR_NAMESPACE);
    const next = await eventually(
      "another pod to hold the Lease",
      async () => {
        const h = podOf(await holder());
        return h !== "" && h !== leader ? h : undefined;
      },
      LEASE_DURATION_MS * 2,
    );
    expect(Date.now() - deleted).toBeLessThan(LEASE_DURATION_MS);
    expect(next).not.toBe(leader);

    await setGreeting(ns.name, name, "After, {name}.");
    await eventually(
      "the new leader to roll the greeting out",
      async () => greetingOf(await get(ns.name, "deployment", name)) === "After, {name}.",
      READY_MS,
    );
    await waitForReady(ns.name, name, READY_MS);
  });
});
