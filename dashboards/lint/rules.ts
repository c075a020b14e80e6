/**
 * grafana/dashboard-linter's rules, re-implemented over our generated dashboards because its binary cannot be
 * installed here. Rule names follow the linter's where one exists, so a finding reads the same in both.
 */
import type { Dashboard, VariableModel } from "@grafana/grafana-foundation-sdk/dashboard";
import { type Analysis, analyze, isRangeFunction } from "./promql.ts";
import { panelsOf, parseLabelValues, variableQuery, variablesOf } from "./queries.ts";

export type Violation = { rule: string; where: string; message: string };

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not a JS template.
const DATASOURCE_UID = "${datasource}";
/** Counters (and histogram buckets, which are counters) only make sense as a rate or an increase. */
const COUNTER_SUFFIXES = ["_total", "_bucket"];
/** Variables that scope every target: a namespace and the workload (Greeter Service or operator job). */
const SCOPE_VARIABLES = { namespace: ["namespace"], workload: ["greeter", "job"] };

const TIME_UNITS = ["s", "ms", "µs", "ns"];
const PER_SECOND_UNITS = ["reqps", "ops", "cps", "rps", "wps", "iops"];
const RATIO_UNITS = ["percentunit"];
const COUNT_UNITS = ["short", "none"];
const BYTE_UNITS = ["bytes", "decbytes"];
const STATE_UNITS = ["short", "none", "bool", "bool_yes_no"];

/** The units a query's result can honestly be shown in, derived from the query alone. */
export function unitsForQuery(analysis: Analysis): string[] {
  if (analysis.outerFunction === "histogram_quantile") return TIME_UNITS;
  if (analysis.isRatioOfRates) return RATIO_UNITS;
  // The values come from the selectors that are not mere filters (`x and on (...) info_metric`).
  const valued = analysis.selectors.filter((s) => !s.filter);
  const rated = valued.filter((s) => s.rangeFunction === "rate" || s.rangeFunction === "irate");
  if (rated.length > 0) {
    // Seconds of CPU per second of wall time is a fraction, not a rate of events.
    if (rated.every((s) => s.metric.endsWith("_seconds_total"))) return RATIO_UNITS;
    return PER_SECOND_UNITS;
  }
  if (valued.some((s) => s.rangeFunction === "increase" || s.rangeFunction === "changes")) return COUNT_UNITS;
  const metrics = valued.map((s) => s.metric);
  if (metrics.length > 0 && metrics.every((m) => m.endsWith("_bytes"))) return BYTE_UNITS;
  if (metrics.length > 0 && metrics.every((m) => m.endsWith("_seconds"))) return TIME_UNITS;
  return STATE_UNITS;
}

export function lintDashboard(dashboard: Dashboard, expectedUid: string): Violation[] {
  const violations: Violation[] = [];
  const report = (rule: string, where: string, message: string) => violations.push({ rule, where, message });
  const variables = variablesOf(dashboard);
  const multi = new Set(variables.filter((v) => v.multi).map((v) => v.name));

  // uid, editability, portability
  if (dashboard.uid !== expectedUid)
    report("fixed-uid", "dashboard", `uid is ${dashboard.uid}, want ${expectedUid}`);
  if (!/^[a-z0-9-]{1,40}$/.test(dashboard.uid ?? ""))
    report("fixed-uid", "dashboard", "uid must be 1-40 of [a-z0-9-]");
  if (dashboard.editable !== false)
    report("uneditable-dashboard", "dashboard", "provisioned dashboards are read-only");
  const json = JSON.stringify(dashboard);
  if ("__inputs" in dashboard || "__requires" in dashboard || json.includes("{DS_"))
    report(
      "no-inputs",
      "dashboard",
      "depends on __inputs (DS_* placeholders), which the Grafana sidecar cannot fill",
    );

  // variables
  const datasources = variables.filter((v) => v.type === "datasource");
  if (
    datasources.length !== 1 ||
    datasources[0]?.name !== "datasource" ||
    datasources[0]?.query !== "prometheus"
  )
    report(
      "template-datasource",
      "templating",
      "want exactly one prometheus datasource variable named datasource",
    );
  for (const variable of variables.filter((v) => v.type === "query")) lintVariable(variable, multi, report);

  // panels
  for (const panel of panelsOf(dashboard)) {
    const where = `panel "${panel.title ?? "(untitled)"}"`;
    if (!panel.title?.trim() || !panel.description?.trim())
      report("panel-title-description", where, "needs a title and a description");
    if (panel.datasource?.uid !== DATASOURCE_UID)
      report("panel-datasource", where, "must use the $datasource variable");
    const unit = panel.fieldConfig?.defaults?.unit;
    if (!unit) report("panel-units", where, "needs a unit");
    const targets = (panel.targets ?? []) as Array<{
      expr?: string;
      datasource?: { uid?: string };
      refId?: string;
    }>;
    if (targets.length === 0 || targets.some((t) => !t.expr?.trim()))
      report("panel-no-targets", where, "needs queries");
    for (const target of targets) {
      const at = `${where} query ${target.refId ?? "?"}`;
      if (target.datasource?.uid !== DATASOURCE_UID)
        report("panel-datasource", at, "must use the $datasource variable");
      const analysis = analyze(target.expr ?? "");
      lintExpression(analysis, at, multi, report, true);
      const allowed = unitsForQuery(analysis);
      if (unit && !allowed.includes(unit))
        report("panel-units", at, `unit ${unit} does not match the query; one of ${allowed.join(", ")}`);
    }
  }
  return violations;
}

type Report = (rule: string, where: string, message: string) => void;

function lintVariable(variable: VariableModel, multi: Set<string>, report: Report) {
  const where = `variable $${variable.name}`;
  if (variable.datasource?.uid !== DATASOURCE_UID)
    report("panel-datasource", where, "must use the $datasource variable");
  if (variable.refresh !== 2) report("template-on-time-change-reload", where, "refresh on time range change");
  if (variable.multi && (!variable.includeAll || variable.allValue !== ".+"))
    report("template-instance", where, 'multi-select variables include All with allValue ".+"');
  const parsed = parseLabelValues(variableQuery(variable));
  if (!parsed) {
    report("template-label-promql", where, "query must be label_values(<selector>, <label>)");
    return;
  }
  lintExpression(analyze(parsed.selector), where, multi, report, false);
}

function lintExpression(
  analysis: Analysis,
  where: string,
  multi: Set<string>,
  report: Report,
  scoped: boolean,
) {
  for (const error of analysis.parseErrors) report("target-promql", where, error);
  for (const macro of analysis.otherMacros)
    report("target-rate-interval", where, `${macro} used; only $__rate_interval`);
  for (const call of analysis.rangeCalls)
    if (call.range !== "$__rate_interval")
      report("target-rate-interval", where, `${call.fn}() over [${call.range}], want [$__rate_interval]`);
  for (const selector of analysis.selectors) {
    // label_values() on a counter only lists its series, so the counter rule is for panel targets alone.
    if (
      scoped &&
      COUNTER_SUFFIXES.some((suffix) => selector.metric.endsWith(suffix)) &&
      !isRangeFunction(selector.rangeFunction)
    )
      report("target-counter-agg", where, `${selector.metric} outside rate/irate/increase`);
    for (const matcher of selector.matchers) {
      const vars = [...matcher.value.matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[1] ?? "");
      for (const name of vars)
        if (multi.has(name) && matcher.op !== "=~")
          report("template-multi-regex", where, `${matcher.label}${matcher.op}"$${name}" must use =~`);
    }
    if (!scoped) continue;
    const referenced = new Set(
      selector.matchers.flatMap((m) => [...m.value.matchAll(/\$\{?(\w+)\}?/g)].map((x) => x[1])),
    );
    const missing = Object.entries(SCOPE_VARIABLES).filter(
      ([, names]) => !names.some((n) => referenced.has(n)),
    );
    if (missing.length > 0)
      report(
        "target-scope",
        where,
        `${selector.metric} not filtered by ${missing.map(([k]) => k).join(", ")}`,
      );
  }
}
