import { describe, expect, it } from "vitest";
import { compareQuantities, isQuantity, parseQuantity, quantitiesEqual } from "./quantity.ts";

describe("quantities", () => {
  it.each([["1"], ["500m"], ["0.5"], [".5"], ["1Gi"], ["1e3"], ["1E-3"], ["128Mi"], ["2k"], [3]])(
    "%s is a quantity",
    (q) => {
      expect(isQuantity(q)).toBe(true);
    },
  );

  it.each([["-1"], ["1GB"], ["1.5.1"], [""], ["Mi"], [1.5], [-1], [true]])("%s is not", (q) => {
    expect(isQuantity(q)).toBe(false);
  });

  it("equates the forms the API server canonicalises to", () => {
    expect(quantitiesEqual("0.5", "500m")).toBe(true);
    expect(quantitiesEqual("1024Mi", "1Gi")).toBe(true);
    expect(quantitiesEqual("1000m", "1")).toBe(true);
    expect(quantitiesEqual(2, "2")).toBe(true);
    expect(quantitiesEqual("1e3", "1k")).toBe(true);
    expect(quantitiesEqual("1G", "1Gi")).toBe(false);
  });

  it("orders quantities exactly", () => {
    expect(compareQuantities("512Mi", "1Gi")).toBe(-1);
    expect(compareQuantities("1", "999m")).toBe(1);
    expect(compareQuantities("100m", "0.1")).toBe(0);
  });

  it("throws on garbage", () => {
    expect(() => parseQuantity("lots")).toThrow(/invalid quantity/);
  });
});
