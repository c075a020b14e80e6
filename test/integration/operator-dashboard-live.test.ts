/**
 * The "Greeter operator" dashboard against real data: the operator (`node operator/main.ts`, with leader
 * election) runs against the local control plane while the test keeps changing a Greeter, a real Prometheus
 * on loopback scrapes the operator's metrics as its ServiceMonitor does (HTTPS, the bearer token of a
 * metrics reader) with the labels it gives them, and every variable and panel query is sent through
 * Prometheus's HTTP API with the variables substituted. Each must return data.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARDS_DIR, renderDashboardPreviews } from "../../dashboards/preview/render.ts";
import { greeterOperatorDashboard } from "../../dashboards/src/greeter-operator.ts";
import { createTestNamespace, kubectl, type TestNamespace, testKubeconfig } from "../cluster/testing.ts";
import { alertRules } from "../support/alert-rules.ts";
import { selectorsWithoutData } from "../support/alert-series.ts";
import {
  blankLegends,
  evaluateTargets,
  failures,
  RANGE,
  RATE_INTERVAL,
  resolveVariables,
  type VariableValues,
} from "../support/dashboard-evaluation.ts";
import { freePort } from "../support/free-port.ts";
import { greeterManifest } from "../support/greeters.ts";
import { type LivePrometheus, startLivePrometheus } from "../support/live-prometheus.ts";
import { metricsReaderToken } from "../support/operator-process.ts";

/** The labels the operator's ServiceMonitor (config/prometheus/monitor.yaml) gives its targets in-cluster. */
const TARGET = {
  namespace: "greeter-operator-system",
  job: "greeter-operator-metrics",
  pod: "greeter-operator-6d8f9-k2x7q",
};

const MAIN = join(import.meta.dirname, "..", "..", "operator", "main.ts");

describe("Greeter operator dashboard against a running operator", () => {
  let ns: TestNamespace;
  let operator: ChildProcess;
  let prom: LivePrometheus;
  let changing = true;
  let changes: Promise<void> = Promise.resolve();
  const dashboard = greeterOperatorDashboard();
  let values: VariableValues;

  beforeAll(async () => {
    ns = await createTestNamespace("dash");
    const [metricsPort, probePort] = [await freePort(), await freePort()];
    operator = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? "",
        KUBECONFIG: testKubeconfig(),
        WATCH_NAMESPACES: ns.name,
        LEADER_ELECT: "true",
        LEADER_ELECTION_NAMESPACE: ns.name,
        METRICS_ADDR: `127.0.0.1:${metricsPort}`,
        PROBE_ADDR: `127.0.0.1:${probePort}`,
        POD_NAME: TARGET.pod,
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const bearerToken = await metricsReaderToken();
    prom = await startLivePrometheus({
      targets: [{ address: `127.0.0.1:${metricsPort}`, labels: TARGET, bearerToken }],
    });

    const greeter = (greeting: string) => greeterManifest("hello", { replicas: 1, greeting });
    const created = await kubectl(["apply", "-f", "-"], {
      namespace: ns.name,
      input: greeter("Hello, {name}"),
    });
    expect(created.code, created.stderr).toBe(0);
    // A new generation every half second keeps reconciles, queue adds and API writes flowing, so every rate
    // and quantile over the last 15 s has samples.
    changes = (async () => {
      for (let i = 0; changing; i++) {
        await kubectl(["apply", "-f", "-"], { namespace: ns.name, input: greeter(`Hello #${i}, {name}`) });
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    await prom.waitForData(`count_over_time(up[${RATE_INTERVAL}]) >= 10 and up == 1`, 90_000);
    await prom.waitForData(`sum(rate(controller_runtime_reconcile_total[${RATE_INTERVAL}])) > 0`, 90_000);
    await prom.waitForData(`max(leader_election_master_status) == 1`, 60_000);
    values = await resolveVariables(prom, dashboard);
  });

  afterAll(async () => {
    changing = false;
    await changes;
    await prom?.stop();
    if (operator && operator.exitCode === null) {
      operator.kill("SIGTERM");
      await once(operator, "exit");
    }
    await ns?.delete();
  });

  it("lists the operator's namespace, job, pod and controller in its variables", () => {
    expect(values).toEqual({
      namespace: [TARGET.namespace],
      job: [TARGET.job],
      pod: [TARGET.pod],
      controller: ["greeter"],
    });
  });

  it("returns data for every panel query", async () => {
    const outcomes = await evaluateTargets(prom, dashboard, { values, ...RANGE });
    expect(outcomes.length).toBeGreaterThan(20);
    expect(failures(outcomes, [])).toEqual([]);
    expect(blankLegends(outcomes)).toEqual([]);
  });

  it("shows this pod as the leader and the Greeter it manages", async () => {
    const outcomes = await evaluateTargets(prom, dashboard, { values, ...RANGE });
    const leader = outcomes.find((o) => o.panel === "Leader per pod");
    expect(leader?.values).toEqual([{ labels: { pod: TARGET.pod }, value: 1 }]);
    const conditions = outcomes.find((o) => o.panel === "Greeters by condition")?.values ?? [];
    expect(conditions.reduce((n, v) => Math.max(n, v.value), 0)).toBe(1);
  });

  it("previews with every panel drawn, this pod's lane marked leader (DASHBOARDS_PREVIEW_OUT keeps the PNG)", {
    timeout: 600_000,
  }, async () => {
    const kept = process.env.DASHBOARDS_PREVIEW_OUT;
    // More scraped history for a picture worth keeping (docs/monitoring.md); the range starts where it does.
    const history = Number(process.env.DASHBOARDS_PREVIEW_HISTORY_SECONDS ?? 0);
    if (history > 0)
      await prom.waitForData(`count_over_time(up[${history + 5}s]) >= ${history}`, (history + 60) * 1000);
    const rangeSeconds = history > 0 ? history + 10 : RANGE.rangeSeconds;
    // The operator reports standby (0) until it holds the Lease, and on a loaded machine the first scrapes can
    // come before that. Such a range rightly draws a standby bar first; wait until the range starts later.
    await prom.waitForData(
      `min(min_over_time(leader_election_master_status[${rangeSeconds + 5}s])) == 1`,
      (rangeSeconds + 60) * 1000,
    );
    const outDir = kept ? resolve(kept) : mkdtempSync(join(tmpdir(), "operator-preview-"));
    try {
      const [preview] = await renderDashboardPreviews({
        prometheusUrl: prom.url,
        outDir,
        dashboards: [join(DASHBOARDS_DIR, "greeter-operator.json")],
        rangeSeconds,
        scrapeSeconds: 1,
      });
      const panels = preview?.panels.filter((p) => p.shown !== "row") ?? [];
      expect(panels.length).toBeGreaterThan(15);
      expect(panels.filter((p) => p.shown !== "chart" && p.shown !== "timeline").map((p) => p.title)).toEqual(
        [],
      );
      const leader = panels.find((p) => p.title === "Leader per pod");
      expect([leader?.shown, leader?.legend, leader?.states]).toEqual(["timeline", [TARGET.pod], ["leader"]]);
    } finally {
      if (!kept) rmSync(outDir, { recursive: true, force: true });
    }
  });

  it("has a series for every selector of every operator alert, exactly as the alert writes it", async () => {
    const alerts = alertRules("greeter-operator");
    expect(alerts.length).toBeGreaterThan(5);
    for (const alert of alerts) {
      const missing = await selectorsWithoutData(prom, alert.expr, { exact: true });
      expect(missing, alert.alert).toEqual([]);
    }
  });
});
