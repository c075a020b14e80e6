// charts/greeter-operator: committed as generated, lint-clean, and with the default values the same objects
// as `kubectl kustomize config/default`. helm comes from hack/helm.sh (built on first use: minutes).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CHART_DIR, committedFiles, kustomize, renderChart } from "./chart.ts";
import { helm, helmBinary, template } from "./helm-cli.ts";
import type { Obj } from "./template-text.ts";

const EVERY_VALUE = join(import.meta.dirname, "every-value.values.yaml");
const NAMESPACE = "greeter-operator-system";
const HELM_LABELS = [
  "helm.sh/chart",
  "app.kubernetes.io/managed-by",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/version",
];
const key = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
const byKey = (objs: Obj[]) => [...objs].sort((a, b) => key(a).localeCompare(key(b)));

/** The object without Helm's labels, wherever a label map or selector carries them. */
function withoutHelmLabels(value: unknown, k = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutHelmLabels(v));
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Obj).filter(
      ([name]) => !(["labels", "matchLabels", "selector"].includes(k) && HELM_LABELS.includes(name)),
    );
    return Object.fromEntries(entries.map(([name, v]) => [name, withoutHelmLabels(v, name)]));
  }
  return value;
}

/** Every value's key path ("image.tag"), from values.schema.json: objects with properties are branches. */
function valuePaths(schema: Obj, prefix = ""): string[] {
  return Object.entries(schema.properties as Obj)
    .filter(([k]) => k !== "global")
    .flatMap(([k, s]) => (s.properties ? valuePaths(s, `${prefix}${k}.`) : [`${prefix}${k}`]));
}
const has = (values: Obj, path: string) =>
  path.split(".").reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], values) !== undefined;

describe("charts/greeter-operator", () => {
  beforeAll(() => {
    helmBinary();
  }, 900_000);

  it("is what `npm run generate` writes from config/ (run it and commit the chart if this fails)", () => {
    const expected = renderChart();
    expect(committedFiles()).toEqual([...expected.keys()].sort());
    for (const [file, content] of expected) {
      expect(readFileSync(join(CHART_DIR, file), "utf8"), file).toBe(content);
    }
  });

  it("passes helm lint --strict, with the default values and with every value set", async () => {
    for (const extra of [[], ["--values", EVERY_VALUE]]) {
      const res = await helm(["lint", "--strict", CHART_DIR, ...extra]);
      expect(res.code, res.stdout + res.stderr).toBe(0);
    }
  });

  it("renders with the default values, as release greeter-operator, the objects of config/default", async () => {
    const rendered = await template("greeter-operator", NAMESPACE, ["--include-crds"]);
    // The Namespace is left to `kubectl create namespace` or `helm install --create-namespace`.
    const expected = kustomize("config/default").filter((o) => o.kind !== "Namespace");
    expect(byKey(rendered).map(key)).toEqual(byKey(expected).map(key));
    expect(byKey(rendered).map((o) => withoutHelmLabels(o))).toEqual(byKey(expected));
  });

  it("labels every object with Helm's labels, so `helm uninstall` and `-l app.kubernetes.io/instance` find them", async () => {
    const rendered = await template("greeter-operator", NAMESPACE);
    for (const o of rendered) {
      expect(o.metadata.labels, key(o)).toMatchObject({
        "app.kubernetes.io/instance": "greeter-operator",
        "app.kubernetes.io/managed-by": "Helm",
      });
    }
  });

  it("gives another release other names everywhere, so it coexists with a kustomize install", async () => {
    const kustomized = new Set(kustomize("config/default").map((o) => `${o.kind}/${o.metadata.name}`));
    const rendered = await template("second", "elsewhere");
    expect(rendered.length).toBeGreaterThan(5);
    for (const o of rendered) {
      expect(o.metadata.name, key(o)).toMatch(/^second-greeter-operator/);
      expect(kustomized.has(`${o.kind}/${o.metadata.name}`), key(o)).toBe(false);
    }
    const binding = rendered.find((o) => o.kind === "ClusterRoleBinding") as Obj;
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: "second-greeter-operator", namespace: "elsewhere" },
    ]);
    // Its alerts watch its own metrics Service's scrape job, and it elects its own leader.
    const rule = rendered.find((o) => o.kind === "PrometheusRule") as Obj;
    const exprs = rule.spec.groups.flatMap((g: Obj) => g.rules.map((r: Obj) => r.expr)).join("\n");
    expect(exprs).toContain('job="second-greeter-operator-metrics"');
    expect(exprs).not.toContain('job="greeter-operator-metrics"');
    const manager = (rendered.find((o) => o.kind === "Deployment") as Obj).spec.template.spec.containers[0];
    expect(manager.env).toContainEqual({ name: "LEADER_ELECTION_ID", value: "second-greeter-operator" });
  });

  it("keeps Prometheus' own templates in the alerts' annotations", async () => {
    const rendered = await template("greeter-operator", NAMESPACE);
    const rule = rendered.find((o) => o.kind === "PrometheusRule") as Obj;
    const source = kustomize("config/default").find((o) => o.kind === "PrometheusRule") as Obj;
    expect(rule.spec).toEqual(source.spec);
    expect(JSON.stringify(rule.spec)).toContain("{{ $labels.namespace }}");
  });

  it("with every value set, renders each of them where it belongs", async () => {
    const values = parse(readFileSync(EVERY_VALUE, "utf8")) as Obj;
    const defaults = parse(readFileSync(join(CHART_DIR, "values.yaml"), "utf8")) as Obj;
    const schema = JSON.parse(readFileSync(join(CHART_DIR, "values.schema.json"), "utf8")) as Obj;
    // The values file must keep up with the chart: it sets every value, each to something else (but what is
    // on by default: it stays on, for its other values to show).
    const paths = valuePaths(schema);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((p) => !has(values, p))).toEqual([]);
    const get = (v: Obj, p: string) => p.split(".").reduce<unknown>((x, k) => (x as Obj)[k], v);
    const unchanged = paths.filter(
      (p) => JSON.stringify(get(values, p)) === JSON.stringify(get(defaults, p)),
    );
    expect(unchanged.filter((p) => !(p.endsWith(".enabled") && get(defaults, p) === true))).toEqual([]);

    const objs = await template("r", "ops", ["--values", EVERY_VALUE]);
    const find = (kind: string) => objs.filter((o) => o.kind === kind);
    const [deployment] = find("Deployment") as [Obj];
    const pod = deployment.spec.template.spec;
    const manager = pod.containers[0];
    expect(deployment.metadata.name).toBe("every-value");
    expect(deployment.spec.replicas).toBe(3);
    expect(manager.image).toBe("registry.example.com/team/greeter-operator:0.2.0-rc.1");
    expect(manager.imagePullPolicy).toBe("Always");
    expect(pod.imagePullSecrets).toEqual([{ name: "regcred" }, { name: "other-regcred" }]);
    expect(manager.env).toEqual(
      expect.arrayContaining([
        { name: "GREETER_IMAGE", value: "registry.example.com/team/greeter:0.2.0-rc.1" },
        { name: "LEADER_ELECT", value: "false" },
        { name: "LOG_LEVEL", value: "debug" },
        { name: "WATCH_NAMESPACES", value: "team-a,team-b" },
        { name: "METRICS_SECURE", value: "false" },
      ]),
    );
    expect(manager.resources).toEqual(values.resources);
    // Helm merges a values file into the defaults: what it does not set (runAsGroup here) stays.
    expect(manager.securityContext).toMatchObject(values.securityContext);
    expect(pod.securityContext).toMatchObject(values.podSecurityContext);
    expect(pod.nodeSelector).toEqual(values.nodeSelector);
    expect(pod.tolerations).toEqual(values.tolerations);
    expect(pod.affinity).toEqual(values.affinity);

    // Watched namespaces: a Role and RoleBinding in each, no cluster-wide access to Greeters.
    expect(find("Role").map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual(
      expect.arrayContaining(["team-a/every-value-manager", "team-b/every-value-manager"]),
    );
    // TokenReviews and SubjectAccessReviews are cluster-scoped: that binding stays cluster-wide.
    expect(find("ClusterRoleBinding").map((b) => b.metadata.name)).toEqual(["every-value-metrics-auth"]);
    expect(find("ClusterRole").map((r) => r.metadata.name)).not.toContain("every-value-manager");

    expect(find("ServiceMonitor")[0]?.metadata.labels).toMatchObject({ release: "kube-prometheus-stack" });
    expect(find("ServiceMonitor")[0]?.spec.endpoints[0]).toMatchObject({ port: "https", scheme: "http" });
    expect(find("PrometheusRule")[0]?.metadata.labels).toMatchObject({
      release: "kube-prometheus-stack",
      team: "greeters",
    });
    const dashboards = find("ConfigMap");
    expect(dashboards.map((c) => c.metadata.namespace)).toEqual(["monitoring", "monitoring"]);
    const committedJson = kustomize("config/grafana").flatMap((c) => Object.values(c.data as Obj));
    expect(dashboards.flatMap((c) => Object.values(c.data))).toEqual(expect.arrayContaining(committedJson));
    for (const c of dashboards)
      expect(c.metadata.labels).toMatchObject({ grafana_dashboard_team: "greeters" });
    const [policy] = find("NetworkPolicy") as [Obj];
    expect(policy.spec.podSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    const source = kustomize("config/default").find((o) => o.kind === "NetworkPolicy") as Obj;
    expect(policy.spec.ingress).toEqual(source.spec.ingress);
  });

  it("leaves out what the defaults leave out: dashboards; the PDB with one replica; the NetworkPolicy on request", async () => {
    const kinds = (await template("greeter-operator", NAMESPACE)).map((o) => o.kind);
    expect(kinds).not.toContain("ConfigMap");
    expect(kinds).toContain("NetworkPolicy");
    const open = await template("greeter-operator", NAMESPACE, ["--set", "networkPolicy.enabled=false"]);
    expect(open.map((o) => o.kind)).not.toContain("NetworkPolicy");
    const single = await template("greeter-operator", NAMESPACE, ["--set", "replicaCount=1"]);
    expect(single.map((o) => o.kind)).not.toContain("PodDisruptionBudget");
    const off = await template("greeter-operator", NAMESPACE, [
      "--set",
      "serviceMonitor.enabled=false,prometheusRule.enabled=false",
    ]);
    expect(off.map((o) => o.kind)).not.toContain("ServiceMonitor");
    expect(off.map((o) => o.kind)).not.toContain("PrometheusRule");
  });

  it("rejects a value of the wrong type, or a misspelt key, naming it", async () => {
    const wrongType = await helm(["template", "x", CHART_DIR, "--set", "replicaCount=two"]);
    expect(wrongType.code).not.toBe(0);
    expect(wrongType.stderr).toContain("at '/replicaCount': got string, want integer");
    const typo = await helm(["template", "x", CHART_DIR, "--set", "serviceMonitor.enable=false"]);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain("additional properties 'enable' not allowed");
    const badNamespace = await helm(["template", "x", CHART_DIR, "--set", "watchNamespaces={Team_A}"]);
    expect(badNamespace.code).not.toBe(0);
    expect(badNamespace.stderr).toContain("/watchNamespaces/0");
  });
});
