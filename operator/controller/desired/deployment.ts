/**
 * desiredDeployment builds the Deployment that runs a Greeter's pods: the greeter image with GREETING from the
 * spec, probes on its /healthz and /readyz, a named http port, a named metrics port (/metrics), a graceful end
 * (termination.ts), the spec's resources and placement, and a hardened security context that passes the
 * "restricted" Pod Security Standard.
 */
import type { V1Container, V1Deployment, V1PodSpec, V1SecurityContext } from "@kubernetes/client-node";
import {
  GREETER_CONTAINER_NAME,
  GREETER_CONTAINER_PORT,
  GREETER_METRICS_PORT,
  GREETER_METRICS_PORT_NAME,
  GREETER_PORT_NAME,
  GREETER_RUN_AS_USER,
} from "../../api/v1alpha1/constants.ts";
import type { Greeter, GreeterSpec } from "../../api/v1alpha1/greeter.ts";
import { childLabels, childNames, childSelector } from "../names.ts";
import { controllerRef } from "./owner.ts";
import {
  GREETER_DRAIN_TIMEOUT_MS,
  GREETER_SHUTDOWN_DELAY_MS,
  PRE_STOP_SLEEP_SECONDS,
  TERMINATION_GRACE_PERIOD_SECONDS,
} from "./termination.ts";

export const CONTAINER_SECURITY_CONTEXT: V1SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: GREETER_RUN_AS_USER,
  runAsGroup: GREETER_RUN_AS_USER,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

export function desiredDeployment(greeter: Greeter, spec: GreeterSpec, defaultImage: string): V1Deployment {
  const name = greeter.metadata.name ?? "";
  const labels = childLabels(name);
  const container: V1Container = {
    name: GREETER_CONTAINER_NAME,
    image: spec.image ?? defaultImage,
    ports: [
      { name: GREETER_PORT_NAME, containerPort: GREETER_CONTAINER_PORT, protocol: "TCP" },
      { name: GREETER_METRICS_PORT_NAME, containerPort: GREETER_METRICS_PORT, protocol: "TCP" },
    ],
    env: [
      { name: "GREETING", value: spec.greeting },
      { name: "PORT", value: String(GREETER_CONTAINER_PORT) },
      { name: "METRICS_PORT", value: String(GREETER_METRICS_PORT) },
      { name: "SHUTDOWN_DELAY_MS", value: String(GREETER_SHUTDOWN_DELAY_MS) },
      { name: "DRAIN_TIMEOUT_MS", value: String(GREETER_DRAIN_TIMEOUT_MS) },
    ],
    livenessProbe: {
      httpGet: { path: "/healthz", port: GREETER_PORT_NAME },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    readinessProbe: {
      httpGet: { path: "/readyz", port: GREETER_PORT_NAME },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 2,
    },
    // A native sleep: the image is distroless, with no shell for an exec hook.
    lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } },
    securityContext: CONTAINER_SECURITY_CONTEXT,
  };
  if (spec.resources) {
    const { requests, limits } = spec.resources;
    container.resources = {};
    if (requests) container.resources.requests = quantityStrings(requests);
    if (limits) container.resources.limits = quantityStrings(limits);
  }

  const podSpec: V1PodSpec = {
    containers: [container],
    terminationGracePeriodSeconds: TERMINATION_GRACE_PERIOD_SECONDS,
    // The greeter never talks to the API server.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: GREETER_RUN_AS_USER,
      runAsGroup: GREETER_RUN_AS_USER,
      seccompProfile: { type: "RuntimeDefault" },
    },
  };
  if (spec.nodeSelector) podSpec.nodeSelector = spec.nodeSelector;
  if (spec.tolerations) podSpec.tolerations = spec.tolerations;
  if (spec.affinity) podSpec.affinity = spec.affinity;

  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: childNames(name).deployment,
      namespace: greeter.metadata.namespace,
      labels,
      ownerReferences: [controllerRef(greeter)],
    },
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: childSelector(name) },
      template: { metadata: { labels }, spec: podSpec },
    },
  };
}

/** client-node types quantities as strings; YAML users write `cpu: 1`. */
function quantityStrings(list: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(list).map(([k, v]) => [k, String(v)]));
}
