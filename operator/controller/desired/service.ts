/** desiredService builds the Service in front of a Greeter's pods: spec.service.port → the pods' named http port. */
import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import { GREETER_PORT_NAME } from "../../api/v1alpha1/constants.ts";
import type { Greeter, GreeterSpec } from "../../api/v1alpha1/greeter.ts";
import { childLabels, childNames, childSelector } from "../names.ts";
import { controllerRef } from "./owner.ts";

export function desiredService(greeter: Greeter, spec: GreeterSpec): V1Service {
  const name = greeter.metadata.name ?? "";
  const port: V1ServicePort = {
    name: GREETER_PORT_NAME,
    port: spec.service.port,
    targetPort: GREETER_PORT_NAME,
    protocol: "TCP",
  };
  if (spec.service.nodePort !== undefined) port.nodePort = spec.service.nodePort;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: childNames(name).service,
      namespace: greeter.metadata.namespace,
      labels: childLabels(name),
      ownerReferences: [controllerRef(greeter)],
    },
    spec: { type: spec.service.type, selector: childSelector(name), ports: [port] },
  };
}

/** The in-cluster URL clients use to reach the greeter. */
export function serviceUrl(greeter: Greeter, spec: GreeterSpec): string {
  const name = childNames(greeter.metadata.name ?? "").service;
  return `http://${name}.${greeter.metadata.namespace}.svc.cluster.local:${spec.service.port}`;
}
