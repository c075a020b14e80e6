/** The project's PrometheusRule (config/prometheus/alerts/prometheus-rule.yaml), read for tests. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export type Rule = {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};
export type PrometheusRule = { kind: string; spec: { groups: Array<{ name: string; rules: Rule[] }> } };
export type AlertRule = Rule & { alert: string };

export const ALERT_RULE_FILE = join(
  import.meta.dirname,
  "..",
  "..",
  "config",
  "prometheus",
  "alerts",
  "prometheus-rule.yaml",
);

export function loadPrometheusRule(): PrometheusRule {
  return parse(readFileSync(ALERT_RULE_FILE, "utf8")) as PrometheusRule;
}

/** The alerting rules, of one group or of all. */
export function alertRules(group?: string): AlertRule[] {
  return loadPrometheusRule()
    .spec.groups.filter((g) => group === undefined || g.name === group)
    .flatMap((g) => g.rules)
    .filter((r): r is AlertRule => r.alert !== undefined);
}
