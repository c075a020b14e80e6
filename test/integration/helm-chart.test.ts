// charts/greeter-operator is valid for a real API server: `helm template` with the default values and with
// a values file that sets every value, each object applied with --dry-run=server (namespaced objects in a test
// namespace, which the watched namespaces and the dashboards' namespace point at too).
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../hack/chart/chart.ts";
import { helmBinary, template } from "../../hack/chart/helm-cli.ts";
import type { Obj } from "../../hack/chart/template-text.ts";
import { kubectl, useTestNamespace } from "../cluster/testing.ts";

const ns = useTestNamespace("chart", "file");
const EVERY_VALUE = join(ROOT, "hack", "chart", "every-value.values.yaml");

async function dryRunFailures(objects: Obj[]): Promise<string[]> {
  const failures: string[] = [];
  for (const o of objects) {
    const res = await kubectl(
      ["apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", "-"],
      {
        input: JSON.stringify(o),
      },
    );
    if (res.code !== 0) failures.push(`${o.kind}/${o.metadata.name}: ${res.stderr.trim()}`);
  }
  return failures;
}

describe("charts/greeter-operator on a real API server", () => {
  beforeAll(() => {
    helmBinary();
  }, 900_000);

  it("passes server-side validation with the default values, CRD included", async () => {
    const objects = await template("greeter-operator", ns.name, ["--include-crds"]);
    expect(objects.map((o) => o.kind)).toEqual(
      expect.arrayContaining(["CustomResourceDefinition", "Deployment", "ClusterRole", "ServiceMonitor"]),
    );
    expect(await dryRunFailures(objects)).toEqual([]);
  });

  it("passes server-side validation with every value set", async () => {
    const objects = await template("greeter-operator", ns.name, [
      "--values",
      EVERY_VALUE,
      "--set-json",
      `watchNamespaces=["${ns.name}"]`,
      "--set",
      `dashboards.namespace=${ns.name}`,
    ]);
    expect(objects.map((o) => o.kind)).toEqual(
      expect.arrayContaining(["NetworkPolicy", "ConfigMap", "Role", "RoleBinding", "PodDisruptionBudget"]),
    );
    expect(await dryRunFailures(objects)).toEqual([]);
  });
});
