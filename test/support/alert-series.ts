/**
 * Checks an alert expression against real scraped data: every series selector it contains must match
 * something, so a misspelt metric or label name cannot leave an alert that silently never fires.
 */
import { analyze, type Selector } from "../../dashboards/lint/promql.ts";
import type { LivePrometheus } from "./live-prometheus.ts";

const render = (metric: string, matchers: Selector["matchers"]) =>
  `${metric}{${matchers.map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`).join(", ")}}`;

/**
 * The selectors of `expr` that match no series. `exact` queries each selector as written; otherwise only the
 * metric and the presence of each label it matches on are checked (for values that only appear under
 * conditions a test does not create, such as 5xx status codes).
 */
export async function selectorsWithoutData(
  prom: Pick<LivePrometheus, "query">,
  expr: string,
  options: { exact: boolean; ignoreMetrics?: RegExp },
): Promise<string[]> {
  const missing: string[] = [];
  for (const { metric, matchers } of analyze(expr).selectors) {
    if (options.ignoreMetrics?.test(metric)) continue;
    const probes = options.exact
      ? [render(metric, matchers)]
      : [metric, ...matchers.map((m) => render(metric, [{ label: m.label, op: "!=", value: "" }]))];
    for (const probe of probes) {
      const result = await prom.query(`count(${probe})`);
      if (result.status !== "success" || result.data.result.length === 0) missing.push(probe);
    }
  }
  return missing;
}
