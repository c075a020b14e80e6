// config/default is valid for a real API server: every rendered object passes server-side validation
// (--dry-run=server), namespaced ones in a test namespace instead of greeter-operator-system.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { kubectl, useTestNamespace } from "../cluster/testing.ts";

const ns = useTestNamespace("config", "file");

describe("config/default on a real API server", () => {
  it("passes server-side validation, object by object", async () => {
    const rendered = execFileSync("kubectl", ["kustomize", "config/default"], { encoding: "utf8" });
    const objects = parseAllDocuments(rendered)
      .map((d) => d.toJSON() as { kind: string; metadata: { name: string; namespace?: string } })
      .filter((o) => o.kind !== "Namespace");
    expect(objects.length).toBeGreaterThan(5);
    const failures: string[] = [];
    for (const o of objects) {
      if (o.metadata.namespace) o.metadata.namespace = ns.name;
      const res = await kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], {
        input: JSON.stringify(o),
      });
      if (res.code !== 0) failures.push(`${o.kind}/${o.metadata.name}: ${res.stderr.trim()}`);
    }
    expect(failures).toEqual([]);
  });
});
