// The generator is generic over config/: what the secure-metrics change (issue #13) adds to config/ (a
// --metrics-secure flag, a ServiceMonitor over TLS, TokenReview/SubjectAccessReview RBAC) becomes values and
// templates without a change here. These tests feed it such a config/ and render the result with helm.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { configInput, renderChart } from "./chart.ts";
import { helm, helmBinary } from "./helm-cli.ts";
import type { Obj } from "./template-text.ts";

const dir = mkdtempSync(join(tmpdir(), "chart-variant-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secureMetricsConfig(): ReturnType<typeof configInput> {
  const input = configInput();
  const objs = input.configDefault;
  const deployment = objs.find((o) => o.kind === "Deployment") as Obj;
  deployment.spec.template.spec.containers[0].args = ["--metrics-secure"];
  const monitor = objs.find((o) => o.kind === "ServiceMonitor") as Obj;
  monitor.spec.endpoints = [
    {
      port: "metrics",
      scheme: "https",
      bearerTokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token",
      tlsConfig: { serverName: `greeter-operator-metrics.${deployment.metadata.namespace}.svc` },
    },
  ];
  const sa = deployment.spec.template.spec.serviceAccountName;
  const namespace = deployment.metadata.namespace;
  objs.push(
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "greeter-operator-metrics-auth" },
      rules: [
        { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
        { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "greeter-operator-metrics-auth" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "greeter-operator-metrics-auth",
      },
      subjects: [{ kind: "ServiceAccount", name: sa, namespace }],
    },
  );
  return input;
}

async function render(...args: string[]): Promise<Obj[]> {
  const res = await helm(["template", "greeter-operator", dir, "-n", "ops", ...args]);
  if (res.code !== 0) throw new Error(res.stderr);
  return parseAllDocuments(res.stdout).map((d) => d.toJSON() as Obj);
}

describe("the chart of a config/ with secure metrics", () => {
  beforeAll(() => {
    helmBinary();
    for (const [file, content] of renderChart(secureMetricsConfig())) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), content);
    }
  }, 900_000);

  it("has a metrics.secure value, true as the flag's default", async () => {
    expect(parse(readFileSync(join(dir, "values.yaml"), "utf8")).metrics).toEqual({ secure: true });
    const lint = await helm(["lint", "--strict", dir]);
    expect(lint.code, lint.stdout).toBe(0);
  });

  it("passes metrics.secure to the operator, and scrapes over TLS only when it is true", async () => {
    const scrape = async (secure: boolean) => {
      const objs = await render("--set", `metrics.secure=${secure}`);
      const deployment = objs.find((o) => o.kind === "Deployment") as Obj;
      const monitor = objs.find((o) => o.kind === "ServiceMonitor") as Obj;
      return { args: deployment.spec.template.spec.containers[0].args, endpoint: monitor.spec.endpoints[0] };
    };
    expect(await scrape(true)).toEqual({
      args: ["--metrics-secure=true"],
      endpoint: {
        port: "metrics",
        scheme: "https",
        bearerTokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token",
        tlsConfig: { serverName: "greeter-operator-metrics.ops.svc" },
      },
    });
    expect(await scrape(false)).toEqual({
      args: ["--metrics-secure=false"],
      endpoint: { port: "metrics", scheme: "http" },
    });
  });

  it("names another release's metrics Service in the TLS server name", async () => {
    const res = await helm(["template", "other", dir, "-n", "elsewhere"]);
    const monitor = parseAllDocuments(res.stdout)
      .map((d) => d.toJSON() as Obj)
      .find((o) => o.kind === "ServiceMonitor") as Obj;
    expect(monitor.spec.endpoints[0].tlsConfig).toEqual({
      serverName: "other-greeter-operator-metrics.elsewhere.svc",
    });
  });

  it("keeps the TokenReview and SubjectAccessReview access cluster-wide when watching namespaces", async () => {
    const objs = await render("--set", "watchNamespaces={team-a}");
    const names = (kind: string) => objs.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    expect(names("ClusterRoleBinding")).toEqual(["greeter-operator-metrics-auth"]);
    expect(names("RoleBinding")).toContain("greeter-operator-manager");
  });
});
