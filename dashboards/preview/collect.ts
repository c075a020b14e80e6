/**
 * Fetches what a dashboard shows from a live Prometheus, the way Grafana would with every variable on
 * "All": each query variable resolved with label_values (earlier ones substituted into later ones), the
 * variables and $__rate_interval substituted into every target, and each target sent as a range query over
 * the dashboard's time range at the step its panel's width gives. The result is the page's model.
 */
import type { Dashboard, Panel, RowPanel, VariableModel } from "@grafana/grafana-foundation-sdk/dashboard";
import { parseLabelValues, substitute, variableQuery, variablesOf } from "../lint/queries.ts";
import { panelBox } from "./browser/layout.ts";
import { legendName } from "./legend.ts";
import type { DashboardModel, PanelModel, QueryData, SeriesData, ValueMapping } from "./model.ts";
import type { PrometheusClient, RangeSeries } from "./prometheus-client.ts";
import { alignedRange, queryStep, rateInterval, relativeRangeSeconds } from "./time-range.ts";

export type CollectOptions = {
  /** Overrides the dashboard's own range (its `time.from`), in seconds. */
  rangeSeconds?: number;
  /** The data source's scrape interval, the floor of every step (Grafana's default: 15 s). */
  scrapeSeconds: number;
  pageWidth: number;
  /** Unix seconds; now unless a caller pins it. */
  now?: number;
};

type Substitutions = Record<string, string | string[]>;

export async function collectDashboard(
  prom: PrometheusClient,
  dashboard: Dashboard,
  options: CollectOptions,
): Promise<DashboardModel> {
  const rangeSeconds =
    options.rangeSeconds ?? relativeRangeSeconds(dashboard.time?.from ?? "now-1h", dashboard.time?.to);
  const now = options.now ?? Date.now() / 1000;
  const { values, described } = await resolveAllVariables(prom, dashboard, now - rangeSeconds, now);
  const panels: PanelModel[] = [];
  for (const panel of (dashboard.panels ?? []) as Array<Panel | RowPanel>) {
    panels.push(await collectPanel(prom, panel, values, { ...options, rangeSeconds, now }));
  }
  return {
    title: dashboard.title ?? "(untitled dashboard)",
    width: options.pageWidth,
    stamp: [
      `Last ${describeSeconds(rangeSeconds)}: ${utc(now - rangeSeconds)} to ${utc(now)} UTC · Prometheus ${prom.url}`,
      described.length > 0 ? `Variables: ${described.join(" · ")}` : "No variables",
      "A preview rendered by greeter-operator (npm run dashboards:preview, uPlot in headless Chromium) from the dashboard JSON and live data. Not Grafana: layout, queries, legends and units follow the dashboard, styling is approximate.",
    ],
    panels,
  };
}

/**
 * Every query variable on "All", as a user who opens the dashboard gets it. Grafana sends a variable's
 * allValue (".+" in ours) when it has one, else every value as a regex alternation; the values found are
 * listed on the image either way, so an empty variable is visible.
 */
async function resolveAllVariables(
  prom: PrometheusClient,
  dashboard: Dashboard,
  start: number,
  end: number,
): Promise<{ values: Substitutions; described: string[] }> {
  const values: Substitutions = {};
  const described: string[] = [];
  for (const variable of variablesOf(dashboard)) {
    if (variable.type === "datasource") continue;
    if (variable.type !== "query")
      throw new Error(`variable ${variable.name}: type ${variable.type} is not previewed`);
    const parsed = parseLabelValues(variableQuery(variable));
    if (!parsed) throw new Error(`variable ${variable.name}: not label_values(): ${variableQuery(variable)}`);
    const found = (
      await prom.labelValues(parsed.label, substitute(parsed.selector, values, "1m"), start, end)
    ).sort();
    values[variable.name] = allSubstitution(variable, found);
    described.push(
      `${variable.label ?? variable.name} = All (${found.length > 0 ? found.join(", ") : "none found"})`,
    );
  }
  return { values, described };
}

function allSubstitution(variable: VariableModel, found: string[]): string | string[] {
  if (variable.allValue) return variable.allValue;
  return found;
}

async function collectPanel(
  prom: PrometheusClient,
  panel: Panel | RowPanel,
  values: Substitutions,
  options: CollectOptions & { rangeSeconds: number; now: number },
): Promise<PanelModel> {
  const gridPos = { x: 0, y: 0, w: 12, h: 8, ...panel.gridPos };
  const base = {
    type: panel.type,
    title: panel.title ?? "",
    gridPos,
    unit: "",
    fillOpacity: 0,
    lineWidth: 1,
    showLegend: false,
    mappings: [],
    times: [],
    series: [],
    queries: [],
  };
  if (panel.type === "row") return { ...base, collapsed: (panel as RowPanel).collapsed === true };
  const p = panel as Panel;
  const defaults = p.fieldConfig?.defaults ?? {};
  const custom = (defaults.custom ?? {}) as { fillOpacity?: number; lineWidth?: number };
  const legend = (p.options as { legend?: { showLegend?: boolean } } | undefined)?.legend;
  const step = queryStep(
    options.rangeSeconds,
    panelBox(gridPos, options.pageWidth).width,
    options.scrapeSeconds,
  );
  const { start, end } = alignedRange(options.now, options.rangeSeconds, step);
  const times: number[] = [];
  for (let t = start; t <= end; t += step) times.push(t);
  const series: SeriesData[] = [];
  const queries: QueryData[] = [];
  for (const target of (p.targets ?? []) as Array<{
    refId?: string;
    expr?: string;
    legendFormat?: string;
    hide?: boolean;
  }>) {
    if (target.hide || !target.expr) continue;
    const expr = substitute(target.expr, values, rateInterval(step, options.scrapeSeconds));
    const result = await prom.queryRange(expr, start, end, step);
    const refId = target.refId ?? "?";
    if (!result.ok) {
      queries.push({ refId, expr, series: 0, points: 0, error: result.error });
      continue;
    }
    const aligned = result.series.map((s) => align(s, times, start, step, target.legendFormat ?? "", expr));
    const withData = aligned.filter((s) => s.values.some((v) => v !== null));
    series.push(...withData);
    queries.push({ refId, expr, series: withData.length, points: countPoints(withData) });
  }
  return {
    ...base,
    unit: defaults.unit ?? "",
    ...(defaults.min === undefined ? {} : { min: defaults.min }),
    ...(defaults.max === undefined ? {} : { max: defaults.max }),
    fillOpacity: custom.fillOpacity ?? 0,
    lineWidth: custom.lineWidth ?? 1,
    showLegend: legend?.showLegend ?? true,
    mappings: valueMappings(defaults.mappings),
    times,
    series,
    queries,
  };
}

/** Places each sample on the panel's time grid; NaN and ±Inf become gaps, as Grafana draws them. */
function align(
  s: RangeSeries,
  times: number[],
  start: number,
  step: number,
  legend: string,
  expr: string,
): SeriesData {
  const values: Array<number | null> = times.map(() => null);
  for (const [t, v] of s.values) {
    const index = Math.round((t - start) / step);
    const value = Number(v);
    if (index >= 0 && index < values.length && Number.isFinite(value)) values[index] = value;
  }
  return { name: legendName(legend, s.metric, expr), values };
}

const countPoints = (series: SeriesData[]) =>
  series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);

/** Value mappings of type "value" (the only kind our dashboards use): value → text and colour. */
function valueMappings(mappings: unknown): ValueMapping[] {
  const out: ValueMapping[] = [];
  for (const m of (mappings ?? []) as Array<{
    type?: string;
    options?: Record<string, { text?: string; color?: string }>;
  }>) {
    if (m.type !== "value") continue;
    for (const [value, result] of Object.entries(m.options ?? {})) out.push({ value, ...result });
  }
  return out;
}

function describeSeconds(seconds: number): string {
  if (seconds % 86_400 === 0) return plural(seconds / 86_400, "day");
  if (seconds % 3600 === 0) return plural(seconds / 3600, "hour");
  if (seconds % 60 === 0) return plural(seconds / 60, "minute");
  return plural(seconds, "second");
}

const plural = (n: number, unit: string) => (n === 1 ? `1 ${unit}` : `${n} ${unit}s`);

const utc = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ");
