import { describe, expect, it } from "vitest";
import { type GreeterSpecInput, GreeterSpecSchema } from "../../api/v1alpha1/greeter.ts";
import { aGreeter, CTX } from "../testing/fixtures.ts";
import { desiredDeployment } from "./deployment.ts";
import { desiredMetricsService, desiredService, serviceUrl } from "./service.ts";

const build = (spec: GreeterSpecInput = {}) => desiredService(aGreeter(spec), GreeterSpecSchema.parse(spec));

describe("desiredService", () => {
  it("is a ClusterIP Service on port 80 by default, targeting the pods' http port, and carries the metrics port", () => {
    const s = build();
    expect(s.metadata).toMatchObject({ name: "hello", namespace: "demo" });
    expect(s.spec?.type).toBe("ClusterIP");
    expect(s.spec?.ports).toEqual([
      { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
      { name: "metrics", port: 9464, targetPort: "metrics", protocol: "TCP" },
    ]);
    expect(desiredMetricsService(aGreeter(), GreeterSpecSchema.parse({}))).toBeUndefined();
  });

  it.each(["NodePort", "LoadBalancer"] as const)(
    "%s: the public Service has no metrics port; an internal ClusterIP Service <name>-metrics carries it",
    (type) => {
      const spec = { service: { type } };
      const parsed = GreeterSpecSchema.parse(spec);
      expect(build(spec).spec?.ports?.map((p) => p.name)).toEqual(["http"]);
      const metrics = desiredMetricsService(aGreeter(spec), parsed);
      expect(metrics?.metadata).toMatchObject({ name: "hello-metrics", namespace: "demo" });
      expect(metrics?.spec).toEqual({
        type: "ClusterIP",
        selector: build(spec).spec?.selector,
        ports: [{ name: "metrics", port: 9464, targetPort: "metrics", protocol: "TCP" }],
      });
      expect(metrics?.metadata?.ownerReferences).toEqual(build(spec).metadata?.ownerReferences);
    },
  );

  it("selects exactly the Deployment's pods", () => {
    const d = desiredDeployment(aGreeter(), GreeterSpecSchema.parse({}), CTX.defaultImage);
    expect(build().spec?.selector).toEqual(d.spec?.selector.matchLabels);
  });

  it("uses spec.service type, port and nodePort", () => {
    const s = build({ service: { type: "NodePort", port: 8081, nodePort: 30080 } });
    expect(s.spec?.type).toBe("NodePort");
    expect(s.spec?.ports?.[0]).toMatchObject({ port: 8081, nodePort: 30080 });
  });

  it("leaves nodePort to the API server when unset", () => {
    expect(build({ service: { type: "LoadBalancer" } }).spec?.ports?.[0]).not.toHaveProperty("nodePort");
  });

  it("gives the in-cluster URL with the Service port", () => {
    const spec = GreeterSpecSchema.parse({ service: { port: 8081 } });
    expect(serviceUrl(aGreeter(), spec)).toBe("http://hello.demo.svc.cluster.local:8081");
  });
});
