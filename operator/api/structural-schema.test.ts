import { describe, expect, it } from "vitest";
import * as z from "zod";
import { type JsonSchema, toStructuralSchema } from "./structural-schema.ts";

const convert = (schema: z.ZodType) =>
  toStructuralSchema(z.toJSONSchema(schema, { io: "input", unrepresentable: "throw" }) as JsonSchema);

describe("toStructuralSchema", () => {
  it("keeps types, defaults, bounds, enums and patterns", () => {
    const out = convert(
      z.object({ n: z.int().min(1).max(5).default(2), e: z.enum(["a", "b"]), s: z.string().regex(/^x+$/) }),
    );
    expect(out).toEqual({
      type: "object",
      properties: {
        n: { type: "integer", default: 2, minimum: 1, maximum: 5 },
        e: { type: "string", enum: ["a", "b"] },
        s: { type: "string", pattern: "^x+$" },
      },
      required: ["e", "s"],
    });
  });

  it("drops zod's implicit safe-integer bounds", () => {
    expect(convert(z.int())).toEqual({ type: "integer" });
  });

  it("writes int-or-string the way controller-gen does", () => {
    const out = convert(
      z
        .union([
          z.int(),
          z
            .string()
            .max(8)
            .regex(/^[0-9]+m$/),
        ])
        .meta({ "x-kubernetes-int-or-string": true }),
    );
    expect(out).toEqual({
      anyOf: [{ type: "integer" }, { type: "string" }],
      "x-kubernetes-int-or-string": true,
      pattern: "^[0-9]+m$",
      maxLength: 8,
    });
  });

  it("turns key constraints of a map into a CEL rule", () => {
    const out = convert(
      z.record(
        z
          .string()
          .max(3)
          .regex(/^[a-z]+$/),
        z.string(),
      ),
    );
    expect(out.additionalProperties).toEqual({ type: "string" });
    expect(out["x-kubernetes-validations"]).toEqual([
      {
        rule: "self.all(k, size(k) <= 3 && k.matches(r'^[a-z]+$'))",
        message: "every key must be at most 3 characters long and match ^[a-z]+$",
      },
    ]);
  });

  it("drops additionalProperties of free-form objects marked preserve-unknown-fields", () => {
    const out = convert(
      z.record(z.string(), z.unknown()).meta({ "x-kubernetes-preserve-unknown-fields": true }),
    );
    expect(out).toEqual({ type: "object", "x-kubernetes-preserve-unknown-fields": true });
  });

  it.each([
    ["a union", z.union([z.string(), z.boolean()])],
    ["a free-form map without preserve-unknown-fields", z.record(z.string(), z.unknown())],
    ["a literal", z.literal("x")],
    ["a nullable", z.string().nullable()],
  ])("refuses %s, which the API server would reject", (_, schema) => {
    expect(() => convert(schema)).toThrow();
  });
});
