/**
 * desiredServiceMonitor builds the prometheus-operator ServiceMonitor that scrapes a Greeter's /metrics through
 * the ClusterIP Service that carries the named metrics port: the Greeter's own Service, or `<name>-metrics` for
 * a NodePort or LoadBalancer Greeter. Both are selected by the same labels; only one has a `metrics` port, so
 * each pod is one target. The job label is the Greeter's name in both shapes (jobLabel: the greeter label, which
 * every Service carries), because the dashboards and alerts key on job; the `service` label of a target names
 * the Service it came through. monitoring.labels go on the ServiceMonitor itself so a Prometheus that selects
 * ServiceMonitors by label (e.g. release: kube-prometheus-stack) picks it up.
 */
import {
  GREETER_METRICS_PORT_NAME,
  LABEL_GREETER,
  SERVICE_MONITOR_API_VERSION,
  SERVICE_MONITOR_KIND,
} from "../../api/v1alpha1/constants.ts";
import type { Greeter, GreeterSpec } from "../../api/v1alpha1/greeter.ts";
import { childLabels, childNames, childSelector } from "../names.ts";
import type { ServiceMonitor } from "../types.ts";
import { controllerRef } from "./owner.ts";

export function desiredServiceMonitor(greeter: Greeter, spec: GreeterSpec): ServiceMonitor {
  const name = greeter.metadata.name ?? "";
  const namespace = greeter.metadata.namespace ?? "";
  return {
    apiVersion: SERVICE_MONITOR_API_VERSION,
    kind: SERVICE_MONITOR_KIND,
    metadata: {
      name: childNames(name).serviceMonitor,
      namespace,
      // Our labels last: user labels cannot change what identifies the object as ours.
      labels: { ...spec.monitoring.labels, ...childLabels(name) },
      ownerReferences: [controllerRef(greeter)],
    },
    spec: {
      jobLabel: LABEL_GREETER,
      selector: { matchLabels: childSelector(name) },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: [
        {
          port: GREETER_METRICS_PORT_NAME,
          path: "/metrics",
          interval: spec.monitoring.interval,
          scheme: "http",
        },
      ],
    },
  };
}
