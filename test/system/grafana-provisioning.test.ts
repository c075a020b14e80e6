/**
 * config/grafana renders, with `kubectl kustomize`, into what each way of provisioning Grafana expects: the
 * sidecar's ConfigMaps labelled grafana_dashboard "1" holding the committed JSON byte for byte, and
 * grafana-operator GrafanaDashboards whose configMapRef points at them.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { DASHBOARDS } from "../../dashboards/src/index.ts";

const ROOT = join(import.meta.dirname, "..", "..");

type Manifest = {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: { configMapRef?: { name: string; key: string }; instanceSelector?: unknown };
};

function render(dir: string): Manifest[] {
  const out = execFileSync("kubectl", ["kustomize", join(ROOT, dir)], { encoding: "utf8" });
  return parseAllDocuments(out).map((d) => d.toJS() as Manifest);
}

describe("config/grafana (Grafana sidecar, e.g. kube-prometheus-stack)", () => {
  const manifests = render("config/grafana");

  it("is one ConfigMap per dashboard, labelled for the sidecar, with the committed JSON", () => {
    expect(manifests.map((m) => m.kind)).toEqual(DASHBOARDS.map(() => "ConfigMap"));
    for (const { file } of DASHBOARDS) {
      const configMap = manifests.find((m) => m.data?.[file] !== undefined);
      expect(configMap?.metadata.labels?.grafana_dashboard).toBe("1");
      // Fixed name (no hash suffix), so references to it survive regeneration.
      expect(configMap?.metadata.name).toBe(`${file.replace(/\.json$/, "")}-dashboard`);
      expect(configMap?.data?.[file]).toBe(readFileSync(join(ROOT, "dashboards", file), "utf8"));
    }
  });
});

describe("config/grafana/grafana-operator", () => {
  const manifests = render("config/grafana/grafana-operator");

  it("has a GrafanaDashboard for every dashboard, each pointing at its ConfigMap and key", () => {
    const configMaps = new Map(
      manifests.filter((m) => m.kind === "ConfigMap").map((m) => [m.metadata.name, m]),
    );
    const dashboards = manifests.filter((m) => m.kind === "GrafanaDashboard");
    expect(dashboards).toHaveLength(DASHBOARDS.length);
    for (const dashboard of dashboards) {
      const ref = dashboard.spec?.configMapRef;
      expect(ref).toBeDefined();
      expect(configMaps.get(ref?.name ?? "")?.data?.[ref?.key ?? ""]).toBeDefined();
      expect(dashboard.spec?.instanceSelector).toBeDefined();
    }
  });
});
