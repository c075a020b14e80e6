// Both dashboards on the in-cluster Prometheus, as Grafana would query it: every variable and every panel
// query returns data from real pods scraped through the operator's ServiceMonitors, kube-state-metrics and
// the operator's own metrics endpoint. No query is allowed to be empty here. The series count of each query
// is written to $E2E_ARTIFACTS_DIR/dashboard-queries.json (the run's record of what each panel showed), and
// both dashboards are previewed to $E2E_ARTIFACTS_DIR/dashboards-preview/*.png (npm run dashboards:preview).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderDashboardPreviews } from "../../dashboards/preview/render.ts";
import { greeterInstancesDashboard } from "../../dashboards/src/greeter-instances.ts";
import { greeterOperatorDashboard } from "../../dashboards/src/greeter-operator.ts";
import { createTestNamespace, eventually, type TestNamespace } from "../cluster/testing.ts";
import { alertRules } from "../support/alert-rules.ts";
import { selectorsWithoutData } from "../support/alert-series.ts";
import {
  blankLegends,
  evaluateTargets,
  failures,
  resolveVariables,
  type TargetOutcome,
} from "../support/dashboard-evaluation.ts";
import { apply, greeterManifest, must, waitForReady } from "../support/greeters.ts";
import { type ClientPod, clusterIP, MIXED_TRAFFIC_SCRIPT, startClientPod } from "./client-pod.ts";
import { type ClusterPrometheus, clusterPrometheus } from "./prometheus-api.ts";

const RELEASE = { release: "kube-prometheus-stack" };
// Grafana's $__rate_interval with kube-prometheus-stack's datasource (timeInterval 30s, the Prometheus
// scrape interval): max(step + 30s, 4 × 30s). Panels are read over the last 5 minutes, at a 15 s step.
const RANGE = { rangeSeconds: 300, step: 15, rateInterval: "2m" };
const DATA_MS = 300_000;
const ARTIFACTS = process.env.E2E_ARTIFACTS_DIR ?? join(process.cwd(), ".tmp", "e2e-kind", "artifacts");

const DASHBOARDS = [
  { name: "greeter-instances", dashboard: greeterInstancesDashboard() },
  { name: "greeter-operator", dashboard: greeterOperatorDashboard() },
];

describe("the dashboards on the in-cluster Prometheus", () => {
  let ns: TestNamespace;
  let prom: ClusterPrometheus;
  let client: ClientPod;
  let touching: NodeJS.Timeout | undefined;
  const record: Record<string, Array<{ panel: string; refId: string; series: number; expr: string }>> = {};

  beforeAll(async () => {
    ns = await createTestNamespace("e2e-dash");
    await must(["label", "namespace", ns.name, "pod-security.kubernetes.io/enforce=restricted"]);
    // Scraped every 10 s, so a few minutes' panels fill in a minute rather than three.
    await apply(
      ns.name,
      greeterManifest("shown", { replicas: 2, monitoring: { labels: RELEASE, interval: "10s" } }),
    );
    await waitForReady(ns.name, "shown", 180_000);
    client = await startClientPod(ns.name, "traffic", MIXED_TRAFFIC_SCRIPT, {
      BASE_URL: `http://${await clusterIP(ns.name, "shown")}`,
      MAX_S: "600",
    });
    await client.waitForLine("started");
    prom = await clusterPrometheus();
    // Earlier files' Greeters left data in the last 5 minutes; this one's must be in before anything is read:
    // both pods scraped, its client errors in a rate, and kube-state-metrics' view of its Deployment.
    const here = `namespace="${ns.name}"`;
    const ready = [
      `count(up{${here}, job="shown"} == 1) == 2`,
      `sum(rate(http_requests_total{${here}, status_code="404"}[${RANGE.rateInterval}])) > 0`,
      `kube_deployment_status_replicas_available{${here}, deployment="shown"} == 2`,
      // Enough history that every point of a panel drawn at a 30 s step has a rate behind it.
      `min(count_over_time(up{${here}, job="shown"}[${RANGE.rateInterval}])) >= 8`,
    ];
    // The operator's reconcile latency, error ratio and queue-duration panels are rates of histograms: they
    // have data while reconciles happen, as when someone is changing Greeters. A changed annotation is a
    // Greeter update, so it is reconciled (and found to need no write).
    touching = setInterval(() => {
      must(
        ["annotate", "--overwrite", "greeter", "shown", `e2e.greeter.operator.dev/touched=${Date.now()}`],
        ns.name,
      ).catch(() => undefined);
    }, 15_000);
    for (const expr of ready)
      await eventually(expr, async () => (await prom.instant(expr)).length > 0, DATA_MS);
  }, DATA_MS * 2);
  afterAll(async () => {
    clearInterval(touching);
    await client?.stop().catch(() => undefined);
    await prom?.stop();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, "dashboard-queries.json"), `${JSON.stringify(record, null, 2)}\n`);
    await ns?.delete();
  });

  for (const { name, dashboard } of DASHBOARDS) {
    it(
      `${name}: every variable lists values and every panel query returns data, with "All" selected`,
      async () => {
        let outcomes: TargetOutcome[] = [];
        let variables: Record<string, string[]> = {};
        // Rates need two scrapes of each target inside the window; the new Greeter's first ones come late.
        await eventually(
          `every query of ${name} to return data`,
          async () => {
            variables = await resolveVariables(prom, dashboard);
            const all = Object.fromEntries(Object.keys(variables).map((k) => [k, ".+"]));
            outcomes = await evaluateTargets(prom, dashboard, { values: all, ...RANGE });
            const empty = Object.values(variables).some((v) => v.length === 0);
            return !empty && failures(outcomes, []).length === 0;
          },
          DATA_MS,
        ).catch(() => undefined); // the expectations below say what is missing
        record[name] = outcomes.map((o) => ({
          panel: o.panel,
          refId: o.refId,
          series: o.values.length,
          expr: o.expr,
        }));
        expect(variables).not.toEqual({});
        expect(Object.entries(variables).filter(([, v]) => v.length === 0)).toEqual([]);
        expect(outcomes.length).toBeGreaterThan(10);
        expect(failures(outcomes, [])).toEqual([]);
        expect(blankLegends(outcomes)).toEqual([]);
      },
      DATA_MS + 60_000,
    );
  }

  it("greeter-instances: shows this Greeter's two pods, its replicas and the client errors it was sent", async () => {
    const dashboard = greeterInstancesDashboard();
    const values = { namespace: ns.name, greeter: "shown", pod: ".+" };
    const outcomes = await evaluateTargets(prom, dashboard, { values, ...RANGE });
    const panel = (title: string, refId = "A") =>
      outcomes.find((o) => o.panel === title && o.refId === refId)?.values ?? [];
    const replicas = "Replicas: desired vs ready vs scraped";
    expect(panel(replicas, "A").map((v) => v.value)).toEqual([2]);
    expect(panel(replicas, "B").map((v) => v.value)).toEqual([2]);
    expect(panel(replicas, "C").map((v) => v.value)).toEqual([2]);
    const pods = JSON.parse(
      await must(["get", "pods", "-l", "app.kubernetes.io/instance=shown", "-o", "json"], ns.name),
    ).items.map((p: { metadata: { name: string } }) => p.metadata.name);
    expect(
      panel("Resident memory per pod")
        .map((v) => v.labels.pod)
        .sort(),
    ).toEqual(pods.sort());
    // Each round is 4 greetings and 5 client errors.
    const [fourXx] = panel("Error ratio (4xx and 5xx)", "A");
    expect(fourXx?.value).toBeCloseTo(5 / 9, 1);
    expect(panel("Error ratio (4xx and 5xx)", "B").map((v) => v.value)).toEqual([0]);
  });

  it('with "All" selected, shows only its own pods and Deployments, not every process Prometheus scrapes', async () => {
    const scraped = async (metric: string, label: string) => new Set(await prom.labelValues(label, metric));
    const own = {
      "greeter-instances": {
        pods: await scraped("greeter_build_info", "pod"),
        jobs: await scraped("greeter_build_info", "job"),
      },
      "greeter-operator": {
        pods: await scraped("greeter_operator_watch_last_event_age_seconds", "pod"),
        jobs: await scraped("greeter_operator_watch_last_event_age_seconds", "job"),
      },
    };
    // The stack's other processes are scraped too (kube-state-metrics at least), so "All" has others to catch.
    expect((await prom.labelValues("job", "up")).length).toBeGreaterThan(
      own["greeter-instances"].jobs.size + 1,
    );
    for (const { name, dashboard } of DASHBOARDS) {
      const all = Object.fromEntries(
        Object.keys(await resolveVariables(prom, dashboard)).map((k) => [k, ".+"]),
      );
      const outcomes = await evaluateTargets(prom, dashboard, { values: all, ...RANGE });
      const foreign = outcomes.flatMap((o) =>
        o.values
          .filter(({ labels }) => {
            const mine = own[name as keyof typeof own];
            if (labels.pod !== undefined) return !mine.pods.has(labels.pod);
            // A Greeter whose pods never start is not scraped, yet its Deployment belongs on the panel; every
            // Greeter of this suite lives in an e2e- namespace, the stack's own Deployments elsewhere.
            if (labels.deployment !== undefined) return !labels.namespace?.startsWith("e2e-");
            if (labels.job !== undefined) return !mine.jobs.has(labels.job);
            return false;
          })
          .map(({ labels }) => `${name} / ${o.panel} / ${o.refId}: ${JSON.stringify(labels)}`),
      );
      expect(foreign).toEqual([]);
    }
  });

  it("previews both dashboards from this Prometheus, every panel drawn with data", async () => {
    const previews = await renderDashboardPreviews({
      prometheusUrl: prom.url,
      outDir: join(ARTIFACTS, "dashboards-preview"),
      rangeSeconds: RANGE.rangeSeconds,
      scrapeSeconds: 30,
    });
    expect(previews.map((p) => p.title).sort()).toEqual(["Greeter instances", "Greeter operator"]);
    const notDrawn = previews.flatMap((p) =>
      p.panels
        .filter((panel) => panel.shown !== "row" && panel.shown !== "chart" && panel.shown !== "timeline")
        .map((panel) => `${p.title} / ${panel.title}: ${panel.shown} ${panel.message ?? ""}`),
    );
    expect(notDrawn).toEqual([]);
  });

  it("every selector of every alert matches series here, kube-state-metrics' included", async () => {
    for (const alert of alertRules()) {
      // absent() and `== 0` selectors are about series that should not be there: checked on the names only.
      const missing = await selectorsWithoutData(prom, alert.expr, { exact: false });
      expect(missing, alert.alert).toEqual([]);
    }
  });
});
