// The monitoring chain on a real cluster, as kube-prometheus-stack sets it up (hack/monitoring/install.sh:
// prometheus-operator, a Prometheus `k8s` selecting `release: kube-prometheus-stack`), with the operator
// deployed through config/overlays/kube-prometheus-stack: the ServiceMonitors the operator writes lead that
// Prometheus to scrape real greeter pods, the label decides what is scraped, and the operator's own
// PrometheusRule is loaded. Read through the Prometheus HTTP API (port-forward to prometheus-operated).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace, eventually, type TestNamespace } from "../cluster/testing.ts";
import { alertRules } from "../support/alert-rules.ts";
import { apply, get, greeterManifest, must, waitForReady } from "../support/greeters.ts";
import { clusterIP, STREAM_SCRIPT, type StreamResult, startClientPod } from "./client-pod.ts";
import { type ClusterPrometheus, clusterPrometheus } from "./prometheus-api.ts";

const OPERATOR_NAMESPACE = "greeter-operator-system";
const RELEASE = { release: "kube-prometheus-stack" };
const READY_MS = 180_000;
// Prometheus `k8s` scrapes every 30 s (hack/monitoring/manifests/prometheus.yaml); a rate over 1m needs two
// scrapes after the traffic, and a new ServiceMonitor first reaches Prometheus through its config reloader.
const SCRAPE_MS = 240_000;

describe("Prometheus k8s, fed by the operator's ServiceMonitors", () => {
  let ns: TestNamespace;
  let prom: ClusterPrometheus;
  beforeAll(async () => {
    ns = await createTestNamespace("e2e-mon");
    await must(["label", "namespace", ns.name, "pod-security.kubernetes.io/enforce=restricted"]);
    await apply(
      ns.name,
      greeterManifest("scraped", { replicas: 2, monitoring: { labels: RELEASE, interval: "10s" } }),
    );
    await apply(ns.name, greeterManifest("unlabelled", { replicas: 1 }));
    await apply(ns.name, greeterManifest("disabled", { replicas: 1, monitoring: { enabled: false } }));
    for (const g of ["scraped", "unlabelled", "disabled"]) await waitForReady(ns.name, g, READY_MS);
    prom = await clusterPrometheus();
  });
  afterAll(async () => {
    await prom?.stop();
    await ns?.delete();
  });

  it("scrapes every pod of a labelled Greeter, labelled as kube-prometheus-stack labels targets", async () => {
    const pods = new Set(
      JSON.parse(
        await must(["get", "pods", "-l", "app.kubernetes.io/instance=scraped", "-o", "json"], ns.name),
      ).items.map((p: { metadata: { name: string } }) => p.metadata.name),
    );
    const targets = await eventually(
      "both pods of greeter/scraped to be up targets",
      async () => {
        const mine = (await prom.activeTargets()).filter(
          (t) => t.labels.namespace === ns.name && t.labels.service === "scraped",
        );
        return mine.length === 2 && mine.every((t) => t.health === "up") ? mine : undefined;
      },
      SCRAPE_MS,
    );
    expect(new Set(targets.map((t) => t.labels.pod))).toEqual(pods);
    for (const t of targets) {
      expect(t.labels.job).toBe("scraped");
      expect(t.scrapePool).toBe(`serviceMonitor/${ns.name}/scraped/0`);
    }
    const up = await prom.instant(`up{namespace="${ns.name}", service="scraped"}`);
    expect(up.map((s) => s.value[1])).toEqual(["1", "1"]);
  });

  it("sees the traffic sent through the Service as a request rate for that Greeter", async () => {
    const ip = await clusterIP(ns.name, "scraped");
    const client = await startClientPod(ns.name, "traffic", STREAM_SCRIPT, {
      ECHO_URL: `http://${ip}/echo-name`,
      CONCURRENCY: "2",
      MAX_S: "90",
    });
    const q = `sum by (namespace, service) (rate(http_requests_total{route="/echo-name", namespace="${ns.name}"}[1m])) > 0`;
    const rate = await eventually(
      "a request rate for greeter/scraped",
      async () => {
        const r = await prom.instant(q);
        return r.length > 0 ? r : undefined;
      },
      SCRAPE_MS,
    );
    expect(rate.map((s) => s.metric)).toEqual([{ namespace: ns.name, service: "scraped" }]);
    await client.stop();
    expect((await client.result<StreamResult>()).ok).toBeGreaterThan(0);
    await client.delete();
  });

  it("scrapes no Greeter without the release label, and none with monitoring disabled", async () => {
    // By now Prometheus has loaded this namespace's ServiceMonitors (the test above saw one of them).
    expect(await get(ns.name, "servicemonitor", "unlabelled")).toBeDefined();
    expect(await get(ns.name, "servicemonitor", "disabled")).toBeUndefined();
    const others = (await prom.activeTargets()).filter(
      (t) => t.labels.namespace === ns.name && t.labels.service !== "scraped",
    );
    expect(others).toEqual([]);
  });

  it("scrapes the operator itself through its ServiceMonitor, over HTTPS with its own token", async () => {
    const up = await eventually(
      "the operator's metrics endpoints to be up",
      async () => {
        const r = await prom.instant(
          `up{namespace="${OPERATOR_NAMESPACE}", service="greeter-operator-metrics"}`,
        );
        return r.length > 0 && r.every((s) => s.value[1] === "1") ? r : undefined;
      },
      SCRAPE_MS,
    ).catch(async (err) => {
      // A 401/403 here is the operator refusing Prometheus's token: say so.
      const targets = (await prom.activeTargets()).filter((t) => t.labels.namespace === OPERATOR_NAMESPACE);
      throw new Error(`${err}\n${JSON.stringify(targets.map((t) => [t.scrapeUrl, t.lastError]))}`);
    });
    expect(up.length).toBeGreaterThanOrEqual(1);
    const operatorTargets = (await prom.activeTargets()).filter(
      (t) => t.labels.namespace === OPERATOR_NAMESPACE && t.labels.service === "greeter-operator-metrics",
    );
    expect(operatorTargets.length).toBeGreaterThanOrEqual(1);
    for (const t of operatorTargets) expect(t.scrapeUrl).toMatch(/^https:\/\/[^/]+:8443\/metrics$/);
  });

  it("has loaded every alert of the operator's PrometheusRule", async () => {
    const wanted = alertRules()
      .map((r) => r.alert)
      .sort();
    expect(wanted.length).toBeGreaterThan(5);
    const loaded = await eventually(
      "the PrometheusRule's alerts in /api/v1/rules",
      async () => {
        const groups = await prom.ruleGroups();
        const names = groups.flatMap((g) => g.rules.map((r) => r.name)).sort();
        return wanted.every((a) => names.includes(a)) ? names : undefined;
      },
      SCRAPE_MS,
    );
    expect(loaded).toEqual(expect.arrayContaining(wanted));
  });
});
