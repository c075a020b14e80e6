import { describe, expect, it } from "vitest";
import { type GreeterSpecInput, GreeterSpecSchema } from "../../api/v1alpha1/greeter.ts";
import { aGreeter } from "../testing/fixtures.ts";
import { desiredMetricsService, desiredService } from "./service.ts";
import { desiredServiceMonitor } from "./service-monitor.ts";

const build = (spec: GreeterSpecInput = {}) =>
  desiredServiceMonitor(aGreeter(spec), GreeterSpecSchema.parse(spec));

describe("desiredServiceMonitor", () => {
  it("is a monitoring.coreos.com/v1 ServiceMonitor named after the Greeter", () => {
    const sm = build();
    expect(sm.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(sm.kind).toBe("ServiceMonitor");
    expect(sm.metadata).toMatchObject({ name: "hello", namespace: "demo" });
  });

  it("selects the greeter's Service by its labels, in the Greeter's namespace only", () => {
    const sm = build();
    const serviceLabels = desiredService(aGreeter(), GreeterSpecSchema.parse({})).metadata?.labels ?? {};
    const selector = sm.spec?.selector?.matchLabels ?? {};
    expect(Object.keys(selector).length).toBeGreaterThan(0);
    expect(serviceLabels).toMatchObject(selector);
    expect(sm.spec?.namespaceSelector).toEqual({ matchNames: ["demo"] });
  });

  it("scrapes /metrics on the named metrics port every 30s by default", () => {
    expect(build().spec?.endpoints).toEqual([
      { port: "metrics", path: "/metrics", interval: "30s", scheme: "http" },
    ]);
  });

  it.each([
    ["ClusterIP", {}],
    ["NodePort", { service: { type: "NodePort" } }],
    ["LoadBalancer", { service: { type: "LoadBalancer" } }],
  ] as [string, GreeterSpecInput][])(
    "%s: finds the metrics port on exactly one of the Greeter's Services, and labels the job with the Greeter's name",
    (_type, spec) => {
      const parsed = GreeterSpecSchema.parse(spec);
      const sm = build(spec);
      const services = [
        desiredService(aGreeter(spec), parsed),
        desiredMetricsService(aGreeter(spec), parsed),
      ];
      const selector = Object.entries(sm.spec?.selector?.matchLabels ?? {});
      const scraped = services.filter(
        (s) =>
          s !== undefined &&
          selector.every(([k, v]) => s.metadata?.labels?.[k] === v) &&
          s.spec?.ports?.some((p) => p.name === sm.spec?.endpoints?.[0]?.port),
      );
      expect(scraped).toHaveLength(1);
      expect(scraped[0]?.spec?.type).toBe("ClusterIP");
      // prometheus-operator takes the job label from this Service label: the Greeter's name in both shapes.
      const jobLabel = sm.spec?.jobLabel ?? "";
      expect(scraped[0]?.metadata?.labels?.[jobLabel]).toBe("hello");
    },
  );

  it("uses spec.monitoring.interval and adds spec.monitoring.labels", () => {
    const sm = build({ monitoring: { interval: "1m", labels: { release: "kube-prometheus-stack" } } });
    expect(sm.spec?.endpoints?.[0]?.interval).toBe("1m");
    expect(sm.metadata?.labels).toMatchObject({
      release: "kube-prometheus-stack",
      "app.kubernetes.io/managed-by": "greeter-operator",
    });
  });

  it("does not let monitoring.labels override the labels that identify the object", () => {
    const sm = build({ monitoring: { labels: { "app.kubernetes.io/managed-by": "someone" } } });
    expect(sm.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBe("greeter-operator");
  });
});
