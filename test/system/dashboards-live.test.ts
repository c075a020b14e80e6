/**
 * Proof that the dashboards show real data: a real Prometheus on loopback scrapes real greeter processes
 * (labelled as a ServiceMonitor labels them), the test drives traffic including client errors, then every
 * variable query and every panel query of the "Greeter instances" dashboard runs through Prometheus's HTTP
 * API with the template variables substituted, as Grafana would send it. Each must parse and return data,
 * except the few in ALLOWED_EMPTY, each with its reason. The operator dashboard needs a running operator and
 * so a control plane: test/integration/operator-dashboard-live.test.ts proves it; here its queries are only
 * checked to parse in Prometheus, which needs no cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { greeterInstancesDashboard } from "../../dashboards/src/greeter-instances.ts";
import { greeterOperatorDashboard } from "../../dashboards/src/greeter-operator.ts";
import { alertRules } from "../support/alert-rules.ts";
import { selectorsWithoutData } from "../support/alert-series.ts";
import {
  type AllowedEmpty,
  blankLegends,
  evaluateTargets,
  failures,
  RANGE,
  RATE_INTERVAL,
  resolveVariables,
  targetKey,
  type VariableValues,
} from "../support/dashboard-evaluation.ts";
import { startChildGreeter } from "../support/greeter-server.ts";
import { sendRound } from "../support/greeter-traffic.ts";
import { type LivePrometheus, type ScrapeTarget, startLivePrometheus } from "../support/live-prometheus.ts";

const ALLOWED_EMPTY: AllowedEmpty[] = [
  {
    panel: "Replicas: desired vs ready vs scraped",
    refId: "A",
    reason: "kube_deployment_spec_replicas comes from kube-state-metrics, which this test does not run",
  },
  {
    panel: "Replicas: desired vs ready vs scraped",
    refId: "B",
    reason:
      "kube_deployment_status_replicas_available comes from kube-state-metrics, which this test does not run",
  },
];

/** Two Greeters in two namespaces, one with two replicas: what the operator would run. */
const GREETERS: Array<{ namespace: string; job: string; pod: string; env: Record<string, string> }> = [
  { namespace: "shop", job: "hello", pod: "hello-5c9d7b-x2k4p", env: {} },
  { namespace: "shop", job: "hello", pod: "hello-5c9d7b-q8w1z", env: {} },
  { namespace: "lobby", job: "hola", pod: "hola-7f6b8c-m3n5v", env: { GREETING: "Hola, {name}" } },
];

type Greeter = Awaited<ReturnType<typeof startChildGreeter>>;

describe("dashboards against a real Prometheus scraping real greeters", () => {
  let prom: LivePrometheus;
  const greeters: Greeter[] = [];
  let traffic = true;
  let trafficDone: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    for (const g of GREETERS) greeters.push(await startChildGreeter({ VERSION: "0.1.0-test", ...g.env }));
    const targets: ScrapeTarget[] = GREETERS.map((g, i) => ({
      address: new URL(greeters[i]?.metricsUrl ?? "").host,
      labels: { namespace: g.namespace, job: g.job, pod: g.pod },
    }));
    prom = await startLivePrometheus({ targets });
    // Traffic keeps flowing until the queries have run, so every rate over the last 15 s is non-zero.
    trafficDone = (async () => {
      while (traffic) {
        await Promise.all(greeters.map((g) => sendRound(g.url)));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // Enough scrapes that a 15 s rate window holds several samples of every target.
    await prom.waitForData(`min(count_over_time(up[${RATE_INTERVAL}])) >= 10 and min(up) == 1`, 90_000);
    await prom.waitForData(
      `count(rate(http_requests_total{status_code="404"}[${RATE_INTERVAL}]) > 0) == 3`,
      60_000,
    );
  });

  afterAll(async () => {
    traffic = false;
    await trafficDone;
    await prom?.stop();
    for (const g of greeters) {
      g.child.kill("SIGTERM");
      await g.exited;
    }
  });

  describe("Greeter instances", () => {
    const dashboard = greeterInstancesDashboard();
    let values: VariableValues;

    beforeAll(async () => {
      values = await resolveVariables(prom, dashboard);
    });

    it("lists the scraped namespaces, Greeters and pods in its variables", () => {
      expect(values).toEqual({
        namespace: ["lobby", "shop"],
        greeter: ["hello", "hola"],
        pod: GREETERS.map((g) => g.pod).sort(),
      });
    });

    it("returns data for every panel query with every value selected (multi-value regex)", async () => {
      const outcomes = await evaluateTargets(prom, dashboard, { values, ...RANGE });
      expect(outcomes.length).toBeGreaterThan(10);
      expect(failures(outcomes, ALLOWED_EMPTY)).toEqual([]);
      expect(blankLegends(outcomes)).toEqual([]);
    });

    it('returns data for every panel query with "All" selected', async () => {
      const all = { namespace: ".+", greeter: ".+", pod: ".+" };
      const outcomes = await evaluateTargets(prom, dashboard, { values: all, ...RANGE });
      expect(failures(outcomes, ALLOWED_EMPTY)).toEqual([]);
    });

    it("the allowed-empty queries parse and are empty here, so the list stays honest", async () => {
      const outcomes = await evaluateTargets(prom, dashboard, { values, ...RANGE });
      const allowed = outcomes.filter((o) => ALLOWED_EMPTY.some((a) => targetKey(a) === targetKey(o)));
      expect(allowed.map((o) => [targetKey(o), o.outcome])).toEqual(
        ALLOWED_EMPTY.map((a) => [targetKey(a), "empty"]),
      );
    });

    it("shows the traffic that was sent: client errors, no server errors, greetings, three pods up", async () => {
      const outcomes = await evaluateTargets(prom, dashboard, { values, ...RANGE });
      const panel = (title: string, refId = "A") => {
        const found = outcomes.find((o) => o.panel === title && o.refId === refId);
        if (!found) throw new Error(`no panel ${title} ${refId}`);
        return found.values;
      };
      const fourXx = panel("Error ratio (4xx and 5xx)", "A");
      const fiveXx = panel("Error ratio (4xx and 5xx)", "B");
      expect(fourXx.map((v) => v.labels.job).sort()).toEqual(["hello", "hola"]);
      // Each round is 4 greetings and 5 client errors.
      for (const { value } of fourXx) expect(value).toBeCloseTo(5 / 9, 1);
      expect(fiveXx.map((v) => [v.labels.job, v.value]).sort()).toEqual([
        ["hello", 0],
        ["hola", 0],
      ]);
      const greetings = panel("Greetings per second");
      expect(greetings.map((v) => v.labels.job).sort()).toEqual(["hello", "hola"]);
      for (const { value } of greetings) expect(value).toBeGreaterThan(0);
      const up = panel("Replicas: desired vs ready vs scraped", "C");
      expect(Object.fromEntries(up.map((v) => [v.labels.job, v.value]))).toEqual({ hello: 2, hola: 1 });
      const statusClasses = new Set(
        panel("Request rate by route and status class").map((v) => v.labels.status_class),
      );
      expect([...statusClasses].sort()).toEqual(["2", "4"]);
    });
  });

  describe("greeter alerts", () => {
    it("find the metric and every label they select on in the greeters' real metrics", async () => {
      const alerts = alertRules("greeter");
      expect(alerts.length).toBeGreaterThan(2);
      for (const alert of alerts) {
        // kube_* series come from kube-state-metrics, which this test does not run.
        const missing = await selectorsWithoutData(prom, alert.expr, {
          exact: false,
          ignoreMetrics: /^kube_/,
        });
        expect(missing, alert.alert).toEqual([]);
      }
    });
  });

  describe("Greeter operator", () => {
    const dashboard = greeterOperatorDashboard();

    it("every panel query parses in Prometheus", async () => {
      const all = { namespace: ".+", job: ".+", pod: ".+", controller: ".+" };
      const outcomes = await evaluateTargets(prom, dashboard, { values: all, ...RANGE });
      expect(outcomes.filter((o) => o.outcome === "error").map((o) => `${targetKey(o)}: ${o.error}`)).toEqual(
        [],
      );
    });
  });
});
