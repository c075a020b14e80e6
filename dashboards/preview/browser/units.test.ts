import { describe, expect, it } from "vitest";
import { axisIncrements, formatValue } from "./units.ts";

describe("formatValue, as Grafana labels an axis or a value", () => {
  it.each([
    ["s", 0.0042, undefined, "4.2 ms"],
    ["s", 0.5, 0.5, "500 ms"],
    ["s", 1.5, 0.5, "1.5 s"],
    ["s", 90, 30, "1.5 min"],
    ["bytes", 64 * 1024 ** 2, 32 * 1024 ** 2, "64 MiB"],
    ["bytes", 0, 1024, "0 B"],
    ["percentunit", 0.555, undefined, "55.5%"],
    ["percentunit", 0.555, 0.2, "56%"],
    ["percentunit", 0.4, 0.2, "40%"],
    ["percent", 12.5, 2.5, "12.5%"],
    ["reqps", 20, 20, "20 req/s"],
    ["reqps", 2500, 500, "2.5 K req/s"],
    ["ops", 0.25, 0.05, "0.25 ops/s"],
    ["short", 1.5, 0.5, "1.5"],
    ["none", 12_345, 5000, "12345"],
    ["widgets", 3, 1, "3 widgets"],
  ] as const)("%s %d (ticks %s apart) → %s", (unit, value, step, expected) => {
    expect(formatValue(unit, value, step)).toBe(expected);
  });

  it("spaces byte axes by powers of two, so ticks land on round binary values", () => {
    expect(axisIncrements("bytes")?.slice(0, 11)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);
    expect(axisIncrements("s")).toBeUndefined();
  });
});
