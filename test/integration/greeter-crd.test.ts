// The generated Greeter CRD on a real API server: it is accepted as structural, its CEL rules compile and fire
// with their messages, the API server's defaults equal zod's, and the scale/status subresources and printer
// columns work. Specs are sent with --dry-run=server, so nothing is stored except where a test says so.
import { describe, expect, it } from "vitest";
import type { JsonSchema } from "../../operator/api/structural-schema.ts";
import { greeterOpenApiSchema } from "../../operator/api/v1alpha1/greeter-crd.ts";
import { CRD_NAME, DEFAULT_GREETER_RESOURCES, GreeterSpecSchema } from "../../operator/api/v1alpha1/index.ts";
import { celOnly, invalid, valid } from "../../operator/api/v1alpha1/testing/spec-samples.ts";
import { eventually, kubectl, useTestNamespace } from "../cluster/testing.ts";

// JSON, not YAML: kubectl reads YAML 1.1, where an unquoted `yes` is a boolean.
const manifest = (name: string, spec: unknown) =>
  JSON.stringify({ apiVersion: "greeter.operator.dev/v1alpha1", kind: "Greeter", metadata: { name }, spec });

function rulesAt(path: string): string[] {
  let node = (greeterOpenApiSchema().properties as Record<string, JsonSchema>).spec as JsonSchema;
  for (const part of path.split(".")) {
    node = (part === "[]" ? node.items : (node.properties as Record<string, JsonSchema>)[part]) as JsonSchema;
  }
  return ((node["x-kubernetes-validations"] ?? []) as { message: string }[]).map((r) => r.message);
}

const ns = useTestNamespace("crd", "file");

// --validate=ignore: like most clients (kubectl is strict), send unknown fields and let the API server prune them.
const dryRun = (name: string, spec: unknown, validate = "ignore") =>
  kubectl(["create", "--dry-run=server", `--validate=${validate}`, "-o", "json", "-f", "-"], {
    namespace: ns.name,
    input: manifest(name, spec),
  });

describe("the Greeter CRD on a real API server", () => {
  it("is established, structural and served", async () => {
    const res = await kubectl(["get", "crd", CRD_NAME, "-o", "json"]);
    expect(res.code, res.stderr).toBe(0);
    const conditions = JSON.parse(res.stdout).status.conditions as { type: string; status: string }[];
    expect(conditions).toContainEqual(expect.objectContaining({ type: "Established", status: "True" }));
    expect(conditions.find((c) => c.type === "NonStructuralSchema")).toBeUndefined();
  });

  it.each(valid)("accepts $name with zod's defaults", async ({ spec }) => {
    const res = await dryRun("sample", spec);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).spec).toEqual(GreeterSpecSchema.parse(spec));
  });

  it.each(invalid)("rejects $name", async ({ spec }) => {
    const res = await dryRun("sample", spec);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/invalid/i);
  });

  it.each(celOnly)("rejects $name with the CEL rule's message", async ({ spec, cel }) => {
    const res = await dryRun("sample", spec);
    expect(res.code).not.toBe(0);
    const messages = rulesAt(cel?.path ?? "");
    expect(
      messages.some((m) => res.stderr.includes(m)),
      res.stderr,
    ).toBe(true);
  });

  it("rejects unknown fields under kubectl's strict validation, so typos do not pass silently", async () => {
    const res = await dryRun("typo", { replica: 3 }, "strict");
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('unknown field "spec.replica"');
  });

  it("rejects a name that cannot name a Service", async () => {
    const res = await dryRun("9lives", {});
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("DNS-1035");
  });

  it("rejects an exposed Greeter whose name leaves no room for its <name>-metrics Service", async () => {
    const name = `g${"x".repeat(55)}`;
    const exposed = await dryRun(name, { service: { type: "NodePort" } });
    expect(exposed.code).not.toBe(0);
    expect(exposed.stderr).toContain("it also names the Service <name>-metrics");
    const clusterIP = await dryRun(name, {});
    expect(clusterIP.code, clusterIP.stderr).toBe(0);
  });

  it("scales through the scale subresource and shows the printer columns", async () => {
    const created = await kubectl(["apply", "-f", "-"], {
      namespace: ns.name,
      input: manifest("scaled", {}),
    });
    expect(created.code, created.stderr).toBe(0);
    const scaled = await kubectl(["scale", "greeter/scaled", "--replicas=3"], { namespace: ns.name });
    expect(scaled.code, scaled.stderr).toBe(0);
    const replicas = await kubectl(["get", "gr", "scaled", "-o", "jsonpath={.spec.replicas}"], {
      namespace: ns.name,
    });
    expect(replicas.stdout).toBe("3");
    const table = await kubectl(["get", "gr", "scaled"], { namespace: ns.name });
    expect(table.stdout.split("\n")[0]?.split(/\s+/)).toEqual([
      "NAME",
      "REPLICAS",
      "READY",
      "GREETING",
      "STATUS",
      "AGE",
    ]);
    expect(table.stdout).toContain("Hello, {name}");
  });

  it("keeps status out of reach of spec writes and lets /status set it", async () => {
    await kubectl(["apply", "-f", "-"], { namespace: ns.name, input: manifest("with-status", {}) });
    const status = { replicas: 2, readyReplicas: 1, selector: "app.kubernetes.io/instance=with-status" };
    const patched = await kubectl(
      [
        "patch",
        "greeter/with-status",
        "--subresource=status",
        "--type=merge",
        "-p",
        JSON.stringify({ status }),
      ],
      { namespace: ns.name },
    );
    expect(patched.code, patched.stderr).toBe(0);
    const scale = await eventually("scale subresource reads status", async () => {
      const res = await kubectl([
        "get",
        "--raw",
        `/apis/greeter.operator.dev/v1alpha1/namespaces/${ns.name}/greeters/with-status/scale`,
      ]);
      return res.code === 0 ? JSON.parse(res.stdout) : undefined;
    });
    expect(scale.status).toEqual({ replicas: 2, selector: status.selector });
  });

  it("stores the default resources on a Greeter created without any, and shows them in kubectl explain", async () => {
    const created = await kubectl(["create", "-o", "json", "-f", "-"], {
      namespace: ns.name,
      input: manifest("no-resources", {}),
    });
    expect(created.code, created.stderr).toBe(0);
    const read = await kubectl(["get", "greeter", "no-resources", "-o", "json"], { namespace: ns.name });
    expect(JSON.parse(read.stdout).spec.resources).toEqual(DEFAULT_GREETER_RESOURCES);
    const explained = await kubectl(["explain", "greeters.spec.resources"]);
    expect(explained.code, explained.stderr).toBe(0);
    const text = explained.stdout.replace(/\s+/g, " ");
    expect(text).toContain(`requests ${DEFAULT_GREETER_RESOURCES.requests.cpu} CPU`);
    expect(text).toContain(`${DEFAULT_GREETER_RESOURCES.limits.memory} memory limit`);
  });

  it("accepts the sample in config/samples", async () => {
    const res = await kubectl(["apply", "--dry-run=server", "-f", "config/samples/"], { namespace: ns.name });
    expect(res.code, res.stderr).toBe(0);
  });
});
