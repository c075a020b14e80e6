import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { describe, expect, it } from "vitest";
import { GREETER_INSTANCES_UID, greeterInstancesDashboard } from "../src/greeter-instances.ts";
import { GREETER_OPERATOR_UID, greeterOperatorDashboard } from "../src/greeter-operator.ts";
import { analyze } from "./promql.ts";
import { panelsOf } from "./queries.ts";
import { lintDashboard, unitsForQuery } from "./rules.ts";

const dashboards = [
  { uid: GREETER_INSTANCES_UID, build: greeterInstancesDashboard },
  { uid: GREETER_OPERATOR_UID, build: greeterOperatorDashboard },
];

describe.each(dashboards)("dashboard $uid", ({ uid, build }) => {
  it("passes every dashboard-linter rule", () => {
    expect(lintDashboard(build(), uid)).toEqual([]);
  });
});

/** Each rule must catch the mistake it exists for; the mutations below are kubebuilder's dashboard's defects. */
function rulesBrokenBy(mutate: (d: Dashboard) => void): string[] {
  const dashboard = greeterInstancesDashboard();
  mutate(dashboard);
  return [...new Set(lintDashboard(dashboard, GREETER_INSTANCES_UID).map((v) => v.rule))];
}

function firstTarget(d: Dashboard): { expr: string; datasource?: { uid?: string } } {
  const target = panelsOf(d)[0]?.targets?.[0];
  if (!target) throw new Error("no target");
  return target as unknown as { expr: string; datasource?: { uid?: string } };
}

function unitOf(d: Dashboard, title: string): { unit?: string } {
  const panel = panelsOf(d).find((p) => p.title === title);
  if (!panel?.fieldConfig?.defaults) throw new Error(`no panel ${title}`);
  return panel.fieldConfig.defaults;
}

describe("the dashboard rules catch", () => {
  it("a fixed range instead of $__rate_interval", () => {
    expect(
      rulesBrokenBy((d) => {
        const t = firstTarget(d);
        t.expr = t.expr.replace("$__rate_interval", "5m");
      }),
    ).toEqual(["target-rate-interval"]);
  });

  it("a counter read raw, outside rate()", () => {
    expect(
      rulesBrokenBy((d) => {
        firstTarget(d).expr = 'sum(http_requests_total{namespace=~"$namespace", job=~"$greeter"})';
      }),
    ).toContain("target-counter-agg");
  });

  it("a per-minute unit on a per-second rate", () => {
    expect(
      rulesBrokenBy((d) => {
        unitOf(d, "Greetings per second").unit = "cpm";
      }),
    ).toEqual(["panel-units"]);
  });

  it("a latency quantile labelled as a ratio, and a missing unit", () => {
    expect(
      rulesBrokenBy((d) => {
        unitOf(d, "Latency p50 / p95 / p99").unit = "percentunit";
      }),
    ).toEqual(["panel-units"]);
    expect(
      rulesBrokenBy((d) => {
        delete unitOf(d, "In-flight requests").unit;
      }),
    ).toEqual(["panel-units"]);
  });

  it('a multi-select variable matched with = (pod="$pod")', () => {
    expect(
      rulesBrokenBy((d) => {
        const t = firstTarget(d);
        t.expr = t.expr.replace('pod=~"$pod"', 'pod="$pod"');
      }),
    ).toEqual(["template-multi-regex"]);
  });

  it("a panel or query bound to a concrete datasource", () => {
    expect(
      rulesBrokenBy((d) => {
        firstTarget(d).datasource = { uid: "prometheus" };
      }),
    ).toEqual(["panel-datasource"]);
  });

  it("__inputs (DS_PROMETHEUS), a second datasource variable, and a changed uid", () => {
    expect(
      rulesBrokenBy((d) => {
        Object.assign(d, { __inputs: [{ name: "DS_PROMETHEUS", type: "datasource" }] });
      }),
    ).toEqual(["no-inputs"]);
    expect(
      rulesBrokenBy((d) => {
        const list = d.templating?.list ?? [];
        list.push({ ...(list[0] as object), name: "datasource2" } as (typeof list)[number]);
      }),
    ).toContain("template-datasource");
    expect(
      rulesBrokenBy((d) => {
        d.uid = "generated-123";
      }),
    ).toEqual(["fixed-uid"]);
  });

  it("a panel without a description, and a query without the namespace filter", () => {
    expect(
      rulesBrokenBy((d) => {
        const panel = panelsOf(d)[0];
        if (panel) panel.description = "";
      }),
    ).toEqual(["panel-title-description"]);
    expect(
      rulesBrokenBy((d) => {
        const t = firstTarget(d);
        t.expr = t.expr.replace('namespace=~"$namespace", ', "");
      }),
    ).toEqual(["target-scope"]);
  });

  it("a query Prometheus cannot parse, and a variable that is not label_values()", () => {
    expect(
      rulesBrokenBy((d) => {
        firstTarget(d).expr =
          'sum(rate(http_requests_total{namespace=~"$namespace", job=~"$greeter"}[$__rate_interval])';
      }),
    ).toEqual(["target-promql"]);
    expect(
      rulesBrokenBy((d) => {
        const variable = d.templating?.list?.[1];
        if (variable) variable.query = "query_result(up)";
      }),
    ).toEqual(["template-label-promql"]);
  });
});

describe("the unit a query allows", () => {
  it("comes from the left of `and`, not from the info series that only filters it", () => {
    const filtered = analyze(
      'sum by (pod) (process_resident_memory_bytes{job=~"$greeter"} and on (namespace, job, pod) greeter_build_info{job=~"$greeter"})',
    );
    expect(unitsForQuery(filtered)).toContain("bytes");
    expect(unitsForQuery(filtered)).not.toContain("short");
    const summed = analyze("process_resident_memory_bytes + greeter_build_info");
    expect(unitsForQuery(summed)).not.toContain("bytes");
  });
});
