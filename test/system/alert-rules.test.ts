/**
 * The PrometheusRule in config/prometheus/alerts: structure (severity, summary, description, a runbook that
 * exists), `promtool check rules`, and `promtool test rules` with test/system/alerts/*.yaml, in which every
 * alert is shown both to fire and to stay quiet. promtool comes from Debian's prometheus package
 * (hack/prereqs.d/10-apt.sh).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { analyze } from "../../dashboards/lint/promql.ts";
import { alertRules, loadPrometheusRule } from "../support/alert-rules.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const TESTS_DIR = join(import.meta.dirname, "alerts");

type PromtoolTests = {
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
};

const resource = loadPrometheusRule();
const alerts = alertRules();
const testFiles = readdirSync(TESTS_DIR).filter((f) => f.endsWith(".yaml"));

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();

describe("PrometheusRule greeter-operator-alerts", () => {
  it("has every alert the project promises", () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      [
        "GreeterDegraded",
        "GreeterHighErrorRatio",
        "GreeterHighLatency",
        "GreeterOperatorDown",
        "GreeterOperatorNoLeader",
        "GreeterOperatorNotReady",
        "GreeterOperatorReconcileErrors",
        "GreeterOperatorWatchStale",
        "GreeterOperatorWorkQueueBackingUp",
        "GreeterReplicasNotReady",
      ].sort(),
    );
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    "%s has a severity, a summary, a description, a for duration and a runbook that exists",
    (name, rule) => {
      expect(["critical", "warning", "info"]).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary?.trim()).toBeTruthy();
      expect(rule.annotations?.description?.trim()).toBeTruthy();
      expect(rule.for).toMatch(/^\d+m$/);
      const runbook = `docs/runbooks/${kebab(name)}.md`;
      expect(rule.annotations?.runbook_url).toBe(runbook);
      const text = readFileSync(join(ROOT, runbook), "utf8");
      expect(text.split("\n")[0]).toBe(`# ${name}`);
    },
  );
});

describe("operator alerts select the operator's job", () => {
  // prometheus-operator names a ServiceMonitor's job after the Service unless the ServiceMonitor sets jobLabel.
  const service = parse(readFileSync(join(ROOT, "config", "manager", "metrics-service.yaml"), "utf8"));
  const monitor = parse(readFileSync(join(ROOT, "config", "prometheus", "monitor.yaml"), "utf8"));
  const operatorAlerts = alertRules("greeter-operator");

  it("the operator's ServiceMonitor selects its metrics Service and keeps the Service name as job", () => {
    expect(monitor.spec.jobLabel).toBeUndefined();
    for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels))
      expect(service.metadata.labels[key]).toBe(value);
  });

  it.each(operatorAlerts.map((r) => [r.alert, r] as const))("%s matches job=<metrics Service>", (_, rule) => {
    const selectors = analyze(rule.expr).selectors;
    expect(selectors.length).toBeGreaterThan(0);
    for (const selector of selectors)
      expect(selector.matchers).toContainEqual({ label: "job", op: "=", value: service.metadata.name });
  });
});

describe("promtool", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "greeter-alerts-"));
    // promtool reads plain rule files: the PrometheusRule's spec is exactly that.
    writeFileSync(join(dir, "rules.yaml"), stringify({ groups: resource.spec.groups }));
    for (const file of testFiles) copyFileSync(join(TESTS_DIR, file), join(dir, file));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is installed", () => {
    expect(execFileSync("promtool", ["--version"], { encoding: "utf8" })).toMatch(/promtool, version/);
  });

  it("check rules accepts the rule file", () => {
    const run = spawnSync("promtool", ["check", "rules", "rules.yaml"], { cwd: dir, encoding: "utf8" });
    expect(run.stdout + run.stderr).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(run.status).toBe(0);
  });

  it("test rules passes every unit test", () => {
    const run = spawnSync("promtool", ["test", "rules", ...testFiles], { cwd: dir, encoding: "utf8" });
    expect(run.stdout + run.stderr).not.toContain("FAILED");
    expect(run.status).toBe(0);
  });

  it("the unit tests show every alert firing and every alert staying quiet", () => {
    const cases = testFiles.flatMap((file) =>
      (parse(readFileSync(join(TESTS_DIR, file), "utf8")) as PromtoolTests).tests.flatMap(
        (t) => t.alert_rule_test ?? [],
      ),
    );
    for (const { alert } of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${alert} fires somewhere`,
      ).toBe(true);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${alert} stays quiet somewhere`,
      ).toBe(true);
    }
  });

  it("test rules fails when an expectation is wrong, so a pass means something", () => {
    const broken = readFileSync(join(dir, "greeter.yaml"), "utf8").replace(
      "25% of the requests",
      "26% of the requests",
    );
    writeFileSync(join(dir, "broken.yaml"), broken);
    const run = spawnSync("promtool", ["test", "rules", "broken.yaml"], { cwd: dir, encoding: "utf8" });
    expect(run.status).not.toBe(0);
    expect(run.stdout + run.stderr).toContain("FAILED");
  });
});
