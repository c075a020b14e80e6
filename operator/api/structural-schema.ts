/**
 * toStructuralSchema turns the JSON Schema that zod emits (z.toJSONSchema, io "input") into a Kubernetes
 * *structural* openAPIV3Schema: every node typed, no $ref/$defs, no anyOf/oneOf except the int-or-string idiom,
 * no propertyNames (rewritten as a CEL rule), no additionalProperties: false. It throws on anything it does not
 * know how to express, so a schema change that the API server would reject fails at generation time instead.
 */

export type JsonSchema = { [key: string]: unknown };

/** zod's bounds for z.int() with no explicit min/max: meaningless in a CRD, where integers are int64. */
const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/** Keys copied as they are (after their values are converted where they hold schemas). */
const PASSTHROUGH = new Set([
  "type",
  "description",
  "default",
  "enum",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
  "required",
  "nullable",
  "x-kubernetes-validations",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-embedded-resource",
]);

export function toStructuralSchema(schema: JsonSchema, path = "$"): JsonSchema {
  if (schema["x-kubernetes-int-or-string"] === true) return intOrString(schema, path);
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case "$schema":
      case "propertyNames": // handled below, as CEL
        break;
      case "properties":
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, JsonSchema>).map(([name, child]) => [
            name,
            toStructuralSchema(child, `${path}.${name}`),
          ]),
        );
        break;
      case "items":
        out.items = toStructuralSchema(value as JsonSchema, `${path}[]`);
        break;
      case "additionalProperties":
        if (value === false) break; // the API server prunes unknown fields anyway
        if (schema["x-kubernetes-preserve-unknown-fields"] === true) break;
        if (typeof value !== "object" || value === null || Object.keys(value).length === 0) {
          throw new Error(`${path}: a map of unknown values needs x-kubernetes-preserve-unknown-fields`);
        }
        out.additionalProperties = toStructuralSchema(value as JsonSchema, `${path}.*`);
        break;
      case "minimum":
      case "maximum":
        if (!SAFE_INTEGER_BOUNDS.has(value as number)) out[key] = value;
        break;
      case "pattern":
        // zod adds a regex next to format: date-time; the format alone is what the API server checks.
        if (schema.format !== "date-time") out.pattern = value;
        break;
      default:
        if (!PASSTHROUGH.has(key))
          throw new Error(`${path}: "${key}" cannot be expressed in a structural schema`);
        out[key] = value;
    }
  }
  if (typeof out.type !== "string" && out["x-kubernetes-preserve-unknown-fields"] !== true) {
    throw new Error(`${path}: every node of a structural schema needs a type`);
  }
  const keyRule = propertyNamesRule(schema.propertyNames as JsonSchema | undefined, path);
  if (keyRule) {
    const rules = (out["x-kubernetes-validations"] as unknown[] | undefined) ?? [];
    out["x-kubernetes-validations"] = [...rules, keyRule];
  }
  return out;
}

/** The form controller-gen emits for resource.Quantity and IntOrString. */
function intOrString(schema: JsonSchema, path: string): JsonSchema {
  const branches = schema.anyOf as JsonSchema[] | undefined;
  const types = branches?.map((b) => b.type).sort();
  if (!branches || types?.join() !== "integer,string")
    throw new Error(`${path}: int-or-string needs anyOf integer|string`);
  const stringBranch = branches.find((b) => b.type === "string") ?? {};
  const out: JsonSchema = {
    anyOf: [{ type: "integer" }, { type: "string" }],
    "x-kubernetes-int-or-string": true,
  };
  if (schema.description) out.description = schema.description;
  if (stringBranch.pattern) out.pattern = stringBranch.pattern;
  if (stringBranch.maxLength !== undefined) out.maxLength = stringBranch.maxLength;
  return out;
}

/** Structural schemas have no propertyNames; a CEL rule over the keys says the same. */
function propertyNamesRule(names: JsonSchema | undefined, path: string): JsonSchema | undefined {
  if (!names) return undefined;
  const checks: string[] = [];
  const wants: string[] = [];
  for (const [key, value] of Object.entries(names)) {
    if (key === "type") continue;
    if (key === "maxLength") {
      checks.push(`size(k) <= ${value}`);
      wants.push(`at most ${value} characters long`);
    } else if (key === "pattern") {
      checks.push(`k.matches(${celRawString(value as string)})`);
      wants.push(`match ${value}`);
    } else throw new Error(`${path}: propertyNames.${key} is not supported`);
  }
  if (checks.length === 0) return undefined;
  return { rule: `self.all(k, ${checks.join(" && ")})`, message: `every key must be ${wants.join(" and ")}` };
}

function celRawString(value: string): string {
  if (value.includes("'")) throw new Error(`cannot quote ${value} as a CEL raw string`);
  return `r'${value}'`;
}
