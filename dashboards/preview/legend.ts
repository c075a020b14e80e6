/** A series' legend entry as Grafana's Prometheus data source names it from the target's legendFormat. */

export function legendName(legendFormat: string, labels: Record<string, string>, expr: string): string {
  const format = legendFormat.trim();
  if (format !== "" && format !== "__auto") {
    // A label the series lacks renders as nothing, which is what Grafana shows too.
    return format.replace(/\{\{\s*([a-zA-Z_]\w*)\s*\}\}/g, (_, label: string) => labels[label] ?? "");
  }
  const { __name__: name = "", ...rest } = labels;
  const pairs = Object.entries(rest).map(([k, v]) => `${k}="${v}"`);
  if (pairs.length === 0) return name || expr;
  return `${name}{${pairs.join(", ")}}`;
}
