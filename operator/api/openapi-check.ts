/**
 * A small model of what the API server does with a structural schema on create: prune unknown fields, apply
 * defaults, then check types, bounds, lengths, patterns, enums, required fields and sizes. CEL rules are not
 * evaluated (that needs a real API server); the tests use it to check that the generated CRD and the zod schema
 * agree on everything else.
 */
import type { JsonSchema } from "./structural-schema.ts";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Prunes unknown fields and fills in defaults, as the API server does before validation. */
export function pruneAndDefault(schema: JsonSchema, value: unknown): unknown {
  if (schema["x-kubernetes-preserve-unknown-fields"] === true) return value;
  if (Array.isArray(value) && schema.items)
    return value.map((v) => pruneAndDefault(schema.items as JsonSchema, v));
  if (!isObject(value)) return value;
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  const additional = schema.additionalProperties as JsonSchema | undefined;
  const out: Record<string, unknown> = {};
  if (additional) {
    for (const [k, v] of Object.entries(value)) out[k] = pruneAndDefault(additional, v);
    return out;
  }
  for (const [k, child] of Object.entries(properties ?? {})) {
    const v = k in value ? value[k] : structuredClone(child.default);
    if (v !== undefined) out[k] = pruneAndDefault(child, v);
  }
  return out;
}

/** Structural-schema validation errors (empty when valid), without CEL. */
export function validate(schema: JsonSchema, value: unknown, path = ""): string[] {
  if (schema["x-kubernetes-int-or-string"] === true) {
    if (Number.isInteger(value)) return [];
    if (typeof value !== "string") return [`${path}: must be an integer or a string`];
    return checkString(schema, value, path);
  }
  if (schema["x-kubernetes-preserve-unknown-fields"] === true && schema.type === undefined) return [];
  switch (schema.type) {
    case "object":
      return isObject(value) ? checkObject(schema, value, path) : [`${path}: must be an object`];
    case "array":
      if (!Array.isArray(value)) return [`${path}: must be an array`];
      if (typeof schema.maxItems === "number" && value.length > schema.maxItems)
        return [`${path}: too many items`];
      return value.flatMap((v, i) => validate(schema.items as JsonSchema, v, `${path}[${i}]`));
    case "string":
      return typeof value === "string" ? checkString(schema, value, path) : [`${path}: must be a string`];
    case "integer":
      return Number.isInteger(value)
        ? checkNumber(schema, value as number, path)
        : [`${path}: must be an integer`];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${path}: must be a boolean`];
    default:
      throw new Error(`${path}: type ${String(schema.type)} not modelled`);
  }
}

function checkObject(schema: JsonSchema, value: Record<string, unknown>, path: string): string[] {
  const errors: string[] = [];
  for (const key of (schema.required as string[] | undefined) ?? []) {
    if (!(key in value)) errors.push(`${path}.${key}: required`);
  }
  if (typeof schema.maxProperties === "number" && Object.keys(value).length > schema.maxProperties) {
    errors.push(`${path}: too many properties`);
  }
  const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const additional = schema.additionalProperties as JsonSchema | undefined;
  for (const [k, v] of Object.entries(value)) {
    const child = properties[k] ?? additional;
    if (child) errors.push(...validate(child, v, `${path}.${k}`));
  }
  return errors;
}

function checkString(schema: JsonSchema, value: string, path: string): string[] {
  const errors: string[] = [];
  if (typeof schema.minLength === "number" && value.length < schema.minLength)
    errors.push(`${path}: too short`);
  if (typeof schema.maxLength === "number" && value.length > schema.maxLength)
    errors.push(`${path}: too long`);
  if (typeof schema.pattern === "string" && !new RegExp(schema.pattern).test(value))
    errors.push(`${path}: pattern`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: not in enum`);
  if (schema.format === "date-time" && Number.isNaN(Date.parse(value)))
    errors.push(`${path}: not a date-time`);
  return errors;
}

function checkNumber(schema: JsonSchema, value: number, path: string): string[] {
  const errors: string[] = [];
  if (typeof schema.minimum === "number" && value < schema.minimum) errors.push(`${path}: below minimum`);
  if (typeof schema.maximum === "number" && value > schema.maximum) errors.push(`${path}: above maximum`);
  return errors;
}
