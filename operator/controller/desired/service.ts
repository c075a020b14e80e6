/**
 * The Services in front of a Greeter's pods. The Greeter's Service maps spec.service.port to the pods' named
 * http port. The metrics port (/metrics) only ever goes on a ClusterIP Service: a ClusterIP Greeter's own
 * Service carries both ports (one object, as before), while a NodePort or LoadBalancer Greeter gets a second,
 * internal ClusterIP Service `<name>-metrics` and its public Service carries the http port alone.
 */
import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import {
  GREETER_METRICS_PORT,
  GREETER_METRICS_PORT_NAME,
  GREETER_PORT_NAME,
} from "../../api/v1alpha1/constants.ts";
import type { Greeter, GreeterSpec } from "../../api/v1alpha1/greeter.ts";
import { childLabels, childNames, childSelector } from "../names.ts";
import { controllerRef } from "./owner.ts";

const METRICS_PORT: V1ServicePort = {
  name: GREETER_METRICS_PORT_NAME,
  port: GREETER_METRICS_PORT,
  targetPort: GREETER_METRICS_PORT_NAME,
  protocol: "TCP",
};

/** Whether the Greeter's Service is reachable from outside the cluster, so it must not carry the metrics port. */
export function isExposed(spec: GreeterSpec): boolean {
  return spec.service.type !== "ClusterIP";
}

export function desiredService(greeter: Greeter, spec: GreeterSpec): V1Service {
  const name = greeter.metadata.name ?? "";
  const port: V1ServicePort = {
    name: GREETER_PORT_NAME,
    port: spec.service.port,
    targetPort: GREETER_PORT_NAME,
    protocol: "TCP",
  };
  if (spec.service.nodePort !== undefined) port.nodePort = spec.service.nodePort;
  const ports = isExposed(spec) ? [port] : [port, METRICS_PORT];
  return service(greeter, childNames(name).service, { type: spec.service.type, ports });
}

/** The internal metrics Service of an exposed Greeter; undefined for a ClusterIP one (its Service has the port). */
export function desiredMetricsService(greeter: Greeter, spec: GreeterSpec): V1Service | undefined {
  if (!isExposed(spec)) return undefined;
  const name = greeter.metadata.name ?? "";
  return service(greeter, childNames(name).metricsService, { type: "ClusterIP", ports: [METRICS_PORT] });
}

function service(
  greeter: Greeter,
  serviceName: string,
  spec: { type: string; ports: V1ServicePort[] },
): V1Service {
  const name = greeter.metadata.name ?? "";
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: serviceName,
      namespace: greeter.metadata.namespace,
      labels: childLabels(name),
      ownerReferences: [controllerRef(greeter)],
    },
    spec: { type: spec.type, selector: childSelector(name), ports: spec.ports },
  };
}

/** The in-cluster URL clients use to reach the greeter. */
export function serviceUrl(greeter: Greeter, spec: GreeterSpec): string {
  const name = childNames(greeter.metadata.name ?? "").service;
  return `http://${name}.${greeter.metadata.namespace}.svc.cluster.local:${spec.service.port}`;
}
