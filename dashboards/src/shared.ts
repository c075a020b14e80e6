/**
 * Building blocks both dashboards share, so the conventions the lint tests enforce (one `datasource` variable
 * used everywhere, multi-select variables matched with `=~`, a unit and a description on every panel) are
 * applied in one place rather than remembered panel by panel.
 */

import {
  type DataSourceRef,
  LegendDisplayMode,
  LegendPlacement,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from "@grafana/grafana-foundation-sdk/common";
import {
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";

/** Every panel and variable points at the dashboard's `datasource` variable, never at a concrete uid. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not a JS template.
export const DATASOURCE: DataSourceRef = { type: "prometheus", uid: "${datasource}" };

/**
 * A dashboard with the settings every one of ours shares: read-only (they are generated from this code),
 * a shared crosshair, 30 s refresh over the last hour, and the `datasource` variable first.
 */
export function dashboard(spec: { title: string; uid: string; description: string; tags: string[] }) {
  return new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(spec.tags)
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .timezone("browser")
    .withVariable(datasourceVariable());
}

function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder("datasource")
    .label("Data source")
    .type("prometheus")
    .description("The Prometheus that scrapes the greeters and the operator.");
}

/**
 * A multi-select variable with an "All" that matches any non-empty value. Refreshed when the time range
 * changes, so pods that came and went inside the range show up.
 */
export function labelVariable(name: string, label: string, query: string, description: string) {
  return new QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue(".+")
    .current({ selected: true, text: "All", value: "$__all" })
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
}

export function query(expr: string, legend: string): DataqueryBuilder {
  return new DataqueryBuilder().datasource(DATASOURCE).expr(expr).legendFormat(legend).range();
}

export type PanelSpec = {
  title: string;
  description: string;
  unit: string;
  targets: DataqueryBuilder[];
  /** Grid width out of 24. */
  width?: number;
  height?: number;
  min?: number;
  max?: number;
};

export function timeseries(spec: PanelSpec): TimeseriesBuilder {
  const panel = new TimeseriesBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .span(spec.width ?? 12)
    .height(spec.height ?? 8)
    .fillOpacity(10)
    .lineWidth(1)
    // Every panel has several series (per Greeter, route, pod…): show which is which, and all at once on hover.
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom),
    )
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending));
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  spec.targets.forEach((target, index) => {
    panel.withTarget(target.refId(String.fromCharCode(65 + index)));
  });
  return panel;
}

/** Grafana needs stable panel ids for links and for "view panel"; the SDK leaves them unset. */
export function numberPanels<T extends { panels?: Array<{ id?: number }> }>(dashboard: T): T {
  let id = 1;
  for (const panel of dashboard.panels ?? []) panel.id = id++;
  return dashboard;
}
