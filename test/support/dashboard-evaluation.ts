/**
 * Runs a dashboard's queries against a real Prometheus the way Grafana would: resolves each query variable
 * with label_values (earlier variables substituted into later ones), substitutes the variables and
 * $__rate_interval into every panel target, and sends each as a range query. Used by the live dashboard
 * tests on loopback (test/system, test/integration) and on the kind cluster's Prometheus (test/e2e).
 */
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  panelQueries,
  parseLabelValues,
  substitute,
  variableQuery,
  variablesOf,
} from "../../dashboards/lint/queries.ts";
import type { LivePrometheus, QueryResult } from "./live-prometheus.ts";

/** A target that may legitimately return nothing in a test, and why. */
/**
 * Grafana's $__rate_interval is max(step + scrape interval, 4 × scrape interval); the live tests scrape 1 s apart.
 * Queries are evaluated over the last 30 s at a 2 s step, as a panel would draw them.
 */
export const RATE_INTERVAL = "15s";
export const RANGE = { rangeSeconds: 30, step: 2, rateInterval: RATE_INTERVAL };

export type AllowedEmpty = { panel: string; refId: string; reason: string };

export type TargetOutcome = {
  panel: string;
  refId: string;
  expr: string;
  legend: string;
  /** "error": Prometheus rejected it; "empty": no series or only NaN; "data": at least one finite value. */
  outcome: "data" | "empty" | "error";
  error?: string;
  /** Last finite value of each series, keyed by its labels, for behaviour checks. */
  values: Array<{ labels: Record<string, string>; value: number }>;
};

export type VariableValues = Record<string, string[]>;

/** Resolves query variables in dashboard order, each selecting all the values the previous ones allow. */
export async function resolveVariables(
  prom: Pick<LivePrometheus, "labelValues">,
  dashboard: Dashboard,
): Promise<VariableValues> {
  const values: VariableValues = {};
  for (const variable of variablesOf(dashboard)) {
    if (variable.type !== "query") continue;
    const parsed = parseLabelValues(variableQuery(variable));
    if (!parsed) throw new Error(`variable ${variable.name}: not label_values(): ${variableQuery(variable)}`);
    const selector = substitute(parsed.selector, values, "1m");
    values[variable.name] = (await prom.labelValues(parsed.label, selector)).sort();
  }
  return values;
}

export async function evaluateTargets(
  prom: Pick<LivePrometheus, "queryRange">,
  dashboard: Dashboard,
  options: {
    values: Record<string, string | string[]>;
    rateInterval: string;
    rangeSeconds: number;
    step: number;
  },
): Promise<TargetOutcome[]> {
  const end = Date.now() / 1000;
  const start = end - options.rangeSeconds;
  const outcomes: TargetOutcome[] = [];
  for (const target of panelQueries(dashboard)) {
    const expr = substitute(target.expr, options.values, options.rateInterval);
    const result = await prom.queryRange(expr, start, end, options.step);
    outcomes.push({
      panel: target.panel,
      refId: target.refId,
      expr,
      legend: target.legend,
      ...classify(result),
    });
  }
  return outcomes;
}

function classify(result: QueryResult): Pick<TargetOutcome, "outcome" | "error" | "values"> {
  if (result.status !== "success")
    return { outcome: "error", error: `${result.errorType}: ${result.error}`, values: [] };
  const values: TargetOutcome["values"] = [];
  for (const series of result.data.result) {
    const points = series.values ?? (series.value ? [series.value] : []);
    const finite = points.map(([, v]) => Number(v)).filter((v) => Number.isFinite(v));
    const last = finite.at(-1);
    if (last !== undefined) values.push({ labels: series.metric, value: last });
  }
  return { outcome: values.length > 0 ? "data" : "empty", values };
}

export const targetKey = (o: { panel: string; refId: string }) => `${o.panel} / ${o.refId}`;

/** Every target that Prometheus rejected, or that came back empty without being allowed to; [] when all is well. */
export function failures(outcomes: TargetOutcome[], allowed: AllowedEmpty[]): string[] {
  const allowedKeys = new Set(allowed.map(targetKey));
  return outcomes
    .filter((o) => o.outcome === "error" || (o.outcome === "empty" && !allowedKeys.has(targetKey(o))))
    .map((o) => `${targetKey(o)}: ${o.outcome}${o.error ? ` (${o.error})` : ""}\n    ${o.expr}`);
}

/**
 * Series whose legend would show a blank: the legend names a label ({{job}}) that the query's result does
 * not carry, e.g. after grouping it away. Grafana renders those as empty text, and series become
 * indistinguishable.
 */
export function blankLegends(outcomes: TargetOutcome[]): string[] {
  const problems: string[] = [];
  for (const o of outcomes) {
    const wanted = [...o.legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] ?? "");
    for (const { labels } of o.values) {
      const missing = wanted.filter((label) => !labels[label]);
      if (missing.length > 0)
        problems.push(`${targetKey(o)}: legend "${o.legend}" lacks ${missing.join(", ")}`);
    }
  }
  return [...new Set(problems)];
}
