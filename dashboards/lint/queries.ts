/** Pulls every PromQL expression out of a dashboard: panel targets and query-variable definitions. */
import type { Dashboard, Panel, RowPanel, VariableModel } from "@grafana/grafana-foundation-sdk/dashboard";

export type PanelQuery = {
  panel: string;
  refId: string;
  expr: string;
  legend: string;
  datasourceUid?: string;
};

export function panelsOf(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  for (const panel of (dashboard.panels ?? []) as Array<Panel | RowPanel>) {
    if (panel.type === "row") out.push(...(((panel as RowPanel).panels ?? []) as Panel[]));
    else out.push(panel as Panel);
  }
  return out;
}

export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  return panelsOf(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => {
      const t = target as {
        refId?: string;
        expr?: string;
        legendFormat?: string;
        datasource?: { uid?: string };
      };
      return {
        panel: panel.title ?? "(untitled)",
        refId: t.refId ?? "?",
        expr: t.expr ?? "",
        legend: t.legendFormat ?? "",
        ...(t.datasource?.uid ? { datasourceUid: t.datasource.uid } : {}),
      };
    }),
  );
}

export function variablesOf(dashboard: Dashboard): VariableModel[] {
  return dashboard.templating?.list ?? [];
}

/** `label_values(<selector>, <label>)`, the one variable-query form our dashboards use. */
export function parseLabelValues(query: string): { selector: string; label: string } | undefined {
  const m = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(query.trim());
  return m?.[1] && m[2] ? { selector: m[1].trim(), label: m[2] } : undefined;
}

export function variableQuery(variable: VariableModel): string {
  const q = variable.query;
  if (typeof q === "string") return q;
  return typeof q?.query === "string" ? q.query : "";
}

/**
 * Substitutes template variables as Grafana does before sending a query to Prometheus: `$__rate_interval`
 * becomes a duration and each variable its value, a multi-value selection becoming a `(a|b)` regex.
 */
export function substitute(
  expr: string,
  values: Record<string, string | string[]>,
  rateInterval: string,
): string {
  return expr
    .replaceAll("$__rate_interval", rateInterval)
    .replace(/\$\{?([a-zA-Z_]\w*)\}?/g, (whole, name: string) => {
      const value = values[name];
      if (value === undefined) return whole;
      return Array.isArray(value) ? `(${value.map(escapeRegex).join("|")})` : value;
    });
}

/** Regex-escaped, then escaped again for the double-quoted PromQL string it lands in (`.` → `\\.`). */
function escapeRegex(value: string): string {
  return value.replace(/[\\^$.|?*+()[\]{}]/g, "\\\\$&");
}
