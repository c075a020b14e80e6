import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { greeterInstancesDashboard } from "./greeter-instances.ts";
import { greeterOperatorDashboard } from "./greeter-operator.ts";

/** Every dashboard we ship, by the file name its JSON is generated into under dashboards/. */
export const DASHBOARDS: ReadonlyArray<{ file: string; build: () => Dashboard }> = [
  { file: "greeter-instances.json", build: greeterInstancesDashboard },
  { file: "greeter-operator.json", build: greeterOperatorDashboard },
];

/** The exact bytes written to dashboards/<file>: stable key order from the builders, 2-space indent, final newline. */
export function renderDashboard(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
