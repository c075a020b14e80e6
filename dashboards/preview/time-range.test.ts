import { describe, expect, it } from "vitest";
import { alignedRange, queryStep, rateInterval, relativeRangeSeconds } from "./time-range.ts";

describe("Grafana's time arithmetic for a panel", () => {
  it("reads the dashboards' relative range", () => {
    expect(relativeRangeSeconds("now-1h", "now")).toBe(3600);
    expect(relativeRangeSeconds("now-30m")).toBe(1800);
    expect(() => relativeRangeSeconds("2026-12-01T00:00:00Z", "now")).toThrow(/now-1h/);
  });

  it("steps by the range over the panel's pixels, rounded, never below the scrape interval", () => {
    // 1 h over a 780 px panel is 4.6 s, rounded to 5 s, raised to the 15 s scrape interval.
    expect(queryStep(3600, 780, 15)).toBe(15);
    // 24 h over 780 px: 110.8 s, rounded to 120 s.
    expect(queryStep(86_400, 780, 15)).toBe(120);
    expect(queryStep(40, 780, 1)).toBe(1);
  });

  it("sets $__rate_interval to max(step + scrape interval, 4 × scrape interval)", () => {
    expect(rateInterval(15, 15)).toBe("60s");
    expect(rateInterval(120, 15)).toBe("135s");
  });

  it("aligns the range to the step", () => {
    expect(alignedRange(1000.7, 60, 15)).toEqual({ start: 930, end: 990 });
  });
});
