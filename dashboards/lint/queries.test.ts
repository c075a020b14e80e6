import { describe, expect, it } from "vitest";
import { parseLabelValues, substitute } from "./queries.ts";

describe("substitute", () => {
  it("fills $__rate_interval, single values and multi-value selections as Grafana does", () => {
    expect(
      substitute(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var} form must be substituted too.
        'rate(x{namespace=~"$namespace", job=~"${greeter}", pod=~"$pod"}[$__rate_interval])',
        { namespace: "default", greeter: ["a", "b.c"], pod: ".+" },
        "1m",
      ),
    ).toBe('rate(x{namespace=~"default", job=~"(a|b\\\\.c)", pod=~".+"}[1m])');
  });

  it("leaves label_replace capture groups and unknown names alone", () => {
    expect(substitute('label_replace(x, "c", "$1", "s", "(.)") $unknown', {}, "1m")).toBe(
      'label_replace(x, "c", "$1", "s", "(.)") $unknown',
    );
  });
});

describe("parseLabelValues", () => {
  it("splits label_values(selector, label)", () => {
    expect(parseLabelValues('label_values(up{job=~"$job"}, pod)')).toEqual({
      selector: 'up{job=~"$job"}',
      label: "pod",
    });
    expect(parseLabelValues("query_result(up)")).toBeUndefined();
  });
});
