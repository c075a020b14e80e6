// config/ serves the operator's metrics over HTTPS (METRICS_SECURE, a ServiceMonitor over TLS with
// Prometheus's token, TokenReview/SubjectAccessReview RBAC); the generator turns that switch into the
// chart's metrics.secure. These tests render the chart with helm both ways.
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

async function render(...args: string[]): Promise<Obj[]> {
  const res = await helm(["template", "greeter-operator", dir, "-n", "ops", ...args]);
  if (res.code !== 0) throw new Error(res.stderr);
  return parseAllDocuments(res.stdout).map((d) => d.toJSON() as Obj);
}

describe("the chart's metrics.secure", () => {
  beforeAll(() => {
    helmBinary();
    for (const [file, content] of renderChart(configInput())) {
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
      const env = deployment.spec.template.spec.containers[0].env as Array<{ name: string; value: string }>;
      return {
        secure: env.find((e) => e.name === "METRICS_SECURE")?.value,
        endpoint: monitor.spec.endpoints[0],
      };
    };
    const common = { port: "https", path: "/metrics", interval: "30s" };
    expect(await scrape(true)).toEqual({
      secure: "true",
      endpoint: {
        ...common,
        scheme: "https",
        bearerTokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token",
        tlsConfig: { insecureSkipVerify: true },
      },
    });
    expect(await scrape(false)).toEqual({ secure: "false", endpoint: { ...common, scheme: "http" } });
  });

  it("keeps the TokenReview and SubjectAccessReview access cluster-wide when watching namespaces", async () => {
    const objs = await render("--set", "watchNamespaces={team-a}");
    const names = (kind: string) => objs.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    expect(names("ClusterRoleBinding")).toEqual(["greeter-operator-metrics-auth"]);
    expect(names("RoleBinding")).toContain("greeter-operator-manager");
  });
});
