import { describe, expect, it } from "vitest";
import { type GreeterSpecInput, GreeterSpecSchema } from "../../api/v1alpha1/greeter.ts";
import { aGreeter } from "../testing/fixtures.ts";
import { desiredService } from "./service.ts";
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

  it("scrapes /metrics on the named http port every 30s by default", () => {
    expect(build().spec?.endpoints).toEqual([
      { port: "http", path: "/metrics", interval: "30s", scheme: "http" },
    ]);
  });

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
