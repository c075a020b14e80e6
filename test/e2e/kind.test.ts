// What only a real node shows: the images start under config/default's securityContext, the operator
// deployed by `kubectl apply -k config/default` runs its Greeters as real pods, the greeting set in the spec
// is what a client gets back through the Service, and both /metrics endpoints answer inside the cluster (the
// greeter's on its own metrics port, never on the public one; the operator's over HTTPS, to a token of the
// metrics-reader role only).
// Runs on kind (hack/e2e-kind.sh), never on the local control plane: kwok nodes run no containers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace, eventually, kubectl, type TestNamespace } from "../cluster/testing.ts";
import { apply, greeterManifest, list, must, waitForReady } from "../support/greeters.ts";
import { getMetrics, readerBinding, serviceAccountToken } from "../support/operator-metrics.ts";
import { parsePromText, sampleValue } from "../support/prom-text.ts";
import { followLogs } from "./follow-logs.ts";
import { type PortForward, portForward } from "./port-forward.ts";

const OPERATOR_NAMESPACE = "greeter-operator-system";
const VERSION = (
  JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as {
    version: string;
  }
).version;
// Non-ASCII on purpose: the greeting travels through the CRD, the Deployment env and the HTTP answer.
const GREETING = "Grüß dich, {name}! (kind)";
const NAME = "hello";
const READY_MS = 180_000;

async function echoName(url: string, name: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/echo-name`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  return { status: res.status, body: await res.json() };
}

async function metricsText(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

describe("a Greeter on a kind node", () => {
  let ns: TestNamespace;
  let service: PortForward | undefined;
  beforeAll(async () => {
    ns = await createTestNamespace("e2e");
    await apply(ns.name, greeterManifest(NAME, { replicas: 2, greeting: GREETING }));
    await waitForReady(ns.name, NAME, READY_MS);
    service = await portForward(ns.name, `service/${NAME}`, 80);
  });
  afterAll(async () => {
    await service?.close();
    await ns?.delete();
  });

  it("answers POST /echo-name through its Service with the configured greeting", async () => {
    const url = (service as PortForward).url;
    expect(await echoName(url, "Zoë")).toEqual({
      status: 200,
      body: { message: "Grüß dich, Zoë! (kind)" },
    });
  });

  it("serves the greeter's /metrics on the pod's metrics port, not on the public one, counting the greetings", async () => {
    // One pod, both ports: the greeting counted must be one this very pod served.
    const [pod] = await list(ns.name, "pods", `app.kubernetes.io/instance=${NAME}`);
    const http = await portForward(ns.name, `pod/${pod?.metadata.name}`, 8080);
    const metrics = await portForward(ns.name, `pod/${pod?.metadata.name}`, 9464);
    try {
      expect((await echoName(http.url, "Ada")).status).toBe(200);
      expect((await fetch(`${http.url}/metrics`)).status).toBe(404);
      const samples = parsePromText(await metricsText(metrics.url));
      expect(sampleValue(samples, "greeter_build_info", { version: VERSION })).toBe(1);
      expect(sampleValue(samples, "greeter_greetings_total")).toBeGreaterThanOrEqual(1);
      expect(
        sampleValue(samples, "http_requests_total", {
          method: "POST",
          route: "/echo-name",
          status_code: "200",
        }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await http.close();
      await metrics.close();
    }
  });

  it("answers with a changed greeting once the operator has rolled it out", async () => {
    const changed = "Servus, {name}.";
    await must(
      ["patch", "greeter", NAME, "--type=merge", "-p", JSON.stringify({ spec: { greeting: changed } })],
      ns.name,
    );
    await waitForReady(ns.name, NAME, READY_MS);
    const rollout = await kubectl(["rollout", "status", `deployment/${NAME}`, "--timeout=180s"], {
      namespace: ns.name,
    });
    expect(rollout.code, rollout.stderr).toBe(0);
    // The old pods keep serving for a while after the rollout reports done (preStop sleep, then the
    // greeter's own delay), and `port-forward service/...` may pick a terminating pod: wait until they are gone.
    await eventually(
      "the old pods to be gone",
      async () =>
        (await list(ns.name, "pods", `app.kubernetes.io/instance=${NAME}`)).every(
          (p) => !p.metadata.deletionTimestamp,
        ),
      READY_MS,
    );
    // A port-forward stays with the pod it picked, and the rollout replaced them all: forward anew.
    const fresh = await portForward(ns.name, `service/${NAME}`, 80);
    try {
      expect(await echoName(fresh.url, "Kim")).toEqual({ status: 200, body: { message: "Servus, Kim." } });
    } finally {
      await fresh.close();
    }
  });
});

/** The operator's /metrics over HTTPS with a metrics reader's token. */
async function operatorMetricsText(pf: PortForward, token: string): Promise<string> {
  const res = await getMetrics(`${pf.url.replace("http:", "https:")}/metrics`, token);
  expect(res.status, res.text).toBe(200);
  return res.text;
}

describe("the operator deployed by config/default", () => {
  let token: string;
  beforeAll(async () => {
    token = await serviceAccountToken(OPERATOR_NAMESPACE, "e2e-metrics-reader", { reader: true });
  });
  afterAll(async () => {
    await kubectl(["delete", "clusterrolebinding", readerBinding(OPERATOR_NAMESPACE, "e2e-metrics-reader")]);
    await kubectl(["delete", "serviceaccount", "e2e-metrics-reader"], { namespace: OPERATOR_NAMESPACE });
  });

  it("serves /metrics over HTTPS through its metrics Service, to an authorized token only", async () => {
    const pf = await portForward(OPERATOR_NAMESPACE, "service/greeter-operator-metrics", 8443);
    try {
      expect((await getMetrics(`${pf.url.replace("http:", "https:")}/metrics`)).status).toBe(401);
      const samples = parsePromText(await operatorMetricsText(pf, token));
      expect(samples.some((s) => s.name === "leader_election_master_status")).toBe(true);
      expect(samples.some((s) => s.name === "process_resident_memory_bytes")).toBe(true);
    } finally {
      await pf.close();
    }
  });

  it("has exactly one leader among its replicas, and the leader has reconciled", async () => {
    const pods = (await list(OPERATOR_NAMESPACE, "pods", "app.kubernetes.io/name=greeter-operator")).filter(
      (p) => !p.metadata.deletionTimestamp,
    );
    expect(pods).toHaveLength(2);
    const perPod = await eventually("one leader among the operator pods", async () => {
      const found: { leader: number; reconciles: number }[] = [];
      for (const pod of pods) {
        const pf = await portForward(OPERATOR_NAMESPACE, `pod/${pod.metadata.name}`, 8443);
        try {
          const samples = parsePromText(await operatorMetricsText(pf, token));
          const reconciles = samples
            .filter((s) => s.name === "controller_runtime_reconcile_total")
            .reduce((sum, s) => sum + s.value, 0);
          found.push({ leader: sampleValue(samples, "leader_election_master_status") ?? 0, reconciles });
        } finally {
          await pf.close();
        }
      }
      return found.filter((f) => f.leader === 1).length === 1 ? found : undefined;
    });
    // Whoever leads now reconciled every Greeter when it took the lease, ours included.
    expect(perPod.find((f) => f.leader === 1)?.reconciles).toBeGreaterThan(0);
  });
});

describe("the operator stopped by the kubelet", () => {
  it("releases its Lease when scaled to zero, so a successor need not wait for it to expire", async () => {
    const selector = "app.kubernetes.io/name=greeter-operator";
    const lease = async () =>
      (
        JSON.parse(await must(["get", "lease", "greeter-operator", "-o", "json"], OPERATOR_NAMESPACE)) as {
          spec?: { holderIdentity?: string; acquireTime?: string; renewTime?: string };
        }
      ).spec ?? {};
    const holder = async () => (await lease()).holderIdentity ?? "";
    // Held by one of the pods (the identity is `<pod name>_<uuid>`), so the release below means something.
    const held = await holder();
    const pods = await list(OPERATOR_NAMESPACE, "pods", selector);
    expect(
      pods.some((p) => held.startsWith(`${p.metadata.name}_`)),
      `holder "${held}"`,
    ).toBe(true);
    const logs = followLogs(OPERATOR_NAMESPACE, selector);
    const scaledAt = new Date().toISOString();
    await must(["scale", "deployment/greeter-operator", "--replicas=0"], OPERATOR_NAMESPACE);
    try {
      await eventually(
        "the operator pods to be gone",
        async () => (await list(OPERATOR_NAMESPACE, "pods", selector)).length === 0,
        READY_MS,
      );
      // Who holds it and since when tells a leader that never released from a standby that took it on the way out.
      const after = await lease();
      const said = logs.lines().filter((l) => /lease|leader|leading|shutting down|stopped/.test(l));
      expect(
        after.holderIdentity ?? "",
        `held by "${held}", scaled at ${scaledAt}, lease now ${JSON.stringify(after)}; the pods said:\n${said.join("\n")}`,
      ).toBe("");
    } finally {
      await logs.close();
      await must(["scale", "deployment/greeter-operator", "--replicas=2"], OPERATOR_NAMESPACE);
    }
  });
});
