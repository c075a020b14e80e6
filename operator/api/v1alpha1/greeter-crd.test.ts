import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { pruneAndDefault, validate } from "../openapi-check.ts";
import type { JsonSchema } from "../structural-schema.ts";
import { GREETER_NAME_PATTERN, GreeterSpecSchema } from "./greeter.ts";
import { CRD_FILE, crdFiles, greeterCrd, greeterOpenApiSchema } from "./greeter-crd.ts";
import { celOnly, invalid, valid } from "./testing/spec-samples.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const specSchema = (greeterOpenApiSchema().properties as Record<string, JsonSchema>).spec as JsonSchema;

function nodeAt(path: string): JsonSchema {
  let node = specSchema;
  for (const part of path.split(".")) {
    const props = node.properties as Record<string, JsonSchema> | undefined;
    node = (part === "[]" ? node.items : props?.[part]) as JsonSchema;
    if (!node) throw new Error(`no schema at ${path}`);
  }
  return node;
}

describe("crds/", () => {
  it("is up to date with the zod schema (run `npm run generate` when this fails)", () => {
    for (const [name, content] of Object.entries(crdFiles())) {
      const committed = readFileSync(join(root, "crds", name), "utf8");
      expect(committed, `crds/${name} is stale: run npm run generate`).toBe(content);
    }
  });

  it("is what config/crd installs", () => {
    const kustomization = parse(readFileSync(join(root, "crds", "kustomization.yaml"), "utf8"));
    expect(kustomization.resources).toEqual([CRD_FILE]);
  });
});

describe("the Greeter CRD", () => {
  type Column = { name: string; jsonPath: string; priority?: number };
  type Version = {
    name: string;
    subresources: unknown;
    additionalPrinterColumns: Column[];
    schema: { openAPIV3Schema: JsonSchema };
  };
  const crd = greeterCrd() as {
    metadata: { name: string };
    spec: { scope: string; names: unknown; versions: Version[] };
  };
  const version = crd.spec.versions[0] as Version;

  it("is a namespaced greeter.operator.dev/v1alpha1 Greeter with short name gr", () => {
    expect(crd.metadata.name).toBe("greeters.greeter.operator.dev");
    expect(crd.spec.scope).toBe("Namespaced");
    expect(crd.spec.names).toMatchObject({ kind: "Greeter", plural: "greeters", shortNames: ["gr"] });
    expect(version).toMatchObject({ name: "v1alpha1", served: true, storage: true });
  });

  it("has status and scale subresources wired to spec.replicas and status.selector", () => {
    expect(version.subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: ".spec.replicas",
        statusReplicasPath: ".status.replicas",
        labelSelectorPath: ".status.selector",
      },
    });
  });

  it("prints replicas, ready replicas, greeting, the Ready condition and age", () => {
    const columns = version.additionalPrinterColumns.filter((c) => !c.priority);
    expect(columns.map((c) => [c.name, c.jsonPath])).toEqual([
      ["Replicas", ".spec.replicas"],
      ["Ready", ".status.readyReplicas"],
      ["Greeting", ".spec.greeting"],
      ["Status", '.status.conditions[?(@.type=="Ready")].status'],
      ["Age", ".metadata.creationTimestamp"],
    ]);
  });

  it("is structural: every node typed, no references or unions other than int-or-string", () => {
    const problems: string[] = [];
    const walk = (node: JsonSchema, path: string) => {
      for (const key of ["$ref", "$defs", "oneOf", "allOf", "not", "propertyNames", "const"]) {
        if (key in node) problems.push(`${path}: ${key}`);
      }
      if ("anyOf" in node && node["x-kubernetes-int-or-string"] !== true) problems.push(`${path}: anyOf`);
      if (
        node.type === undefined &&
        !node["x-kubernetes-int-or-string"] &&
        !node["x-kubernetes-preserve-unknown-fields"]
      ) {
        problems.push(`${path}: untyped`);
      }
      if (node.additionalProperties !== undefined && node.properties !== undefined)
        problems.push(`${path}: both`);
      if (typeof node.additionalProperties === "boolean")
        problems.push(`${path}: boolean additionalProperties`);
      for (const [k, child] of Object.entries((node.properties as Record<string, JsonSchema>) ?? {})) {
        walk(child, `${path}.${k}`);
      }
      if (node.items) walk(node.items as JsonSchema, `${path}[]`);
      if (typeof node.additionalProperties === "object")
        walk(node.additionalProperties as JsonSchema, `${path}.*`);
    };
    walk(version.schema.openAPIV3Schema, "");
    expect(problems).toEqual([]);
  });

  it("bounds every string and list a CEL rule reads, so the API server can estimate rule cost", () => {
    for (const path of ["monitoring.labels", "nodeSelector", "resources.requests", "resources.limits"]) {
      expect(nodeAt(path).maxProperties, path).toBeTypeOf("number");
      expect((nodeAt(path).additionalProperties as JsonSchema).maxLength, path).toBeTypeOf("number");
    }
    expect(nodeAt("greeting").maxLength).toBeTypeOf("number");
  });

  it("only lets through names that can name a Service (DNS-1035 label)", () => {
    const re = new RegExp(GREETER_NAME_PATTERN);
    for (const ok of ["a", "hello", "my-greeter-2"]) expect(re.test(ok), ok).toBe(true);
    for (const bad of ["1abc", "-a", "a-", "My", "a.b", "a_b", ""]) expect(re.test(bad), bad).toBe(false);
  });
});

describe("the CRD schema and the zod schema agree", () => {
  it.each(valid)("accept $name with the same defaults", ({ spec }) => {
    const parsed = GreeterSpecSchema.parse(spec);
    const stored = pruneAndDefault(specSchema, spec);
    expect(validate(specSchema, stored)).toEqual([]);
    expect(stored).toEqual(parsed);
  });

  it.each(invalid)("reject $name", ({ spec }) => {
    expect(GreeterSpecSchema.safeParse(spec).success).toBe(false);
    expect(validate(specSchema, pruneAndDefault(specSchema, spec))).not.toEqual([]);
  });

  it.each(celOnly)("reject $name (CEL in the CRD, a refinement in zod)", ({ spec, cel }) => {
    const result = GreeterSpecSchema.safeParse(spec);
    expect(result.success).toBe(false);
    expect(validate(specSchema, pruneAndDefault(specSchema, spec))).toEqual([]);
    const rules = (nodeAt(cel?.path ?? "")["x-kubernetes-validations"] ?? []) as Array<{ message: string }>;
    expect(rules.length).toBeGreaterThan(0);
    if (cel?.message) {
      expect(result.error?.issues.map((i) => i.message)).toContainEqual(expect.stringContaining(cel.message));
    }
  });

  it("defaults an absent spec like an empty one", () => {
    const top = greeterOpenApiSchema();
    const stored = pruneAndDefault(top, {
      apiVersion: "greeter.operator.dev/v1alpha1",
      kind: "Greeter",
      metadata: {},
    });
    expect((stored as { spec: unknown }).spec).toEqual(GreeterSpecSchema.parse({}));
  });
});
