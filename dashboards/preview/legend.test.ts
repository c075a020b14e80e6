import { describe, expect, it } from "vitest";
import { legendName } from "./legend.ts";

describe("legendName, as Grafana's Prometheus data source names a series", () => {
  const labels = { job: "hello", route: "/echo-name", status_class: "2" };

  it("fills the legendFormat's {{label}} placeholders from the series' labels", () => {
    expect(legendName("{{job}} {{route}} {{ status_class }}xx", labels, "x")).toBe("hello /echo-name 2xx");
  });

  it("renders a label the series lacks as nothing", () => {
    expect(legendName("{{pod}} used", labels, "x")).toBe(" used");
  });

  it("without a legendFormat, shows the metric and its labels, or the query when there are none", () => {
    expect(legendName("", { __name__: "up", job: "hello" }, "up")).toBe('up{job="hello"}');
    expect(legendName("__auto", { job: "hello" }, "sum by (job) (up)")).toBe('{job="hello"}');
    expect(legendName("", {}, "sum(up)")).toBe("sum(up)");
  });
});
