/**
 * Names and labels of a Greeter's children. The runtime uses them to look children up in its caches and to map a
 * pod back to its Greeter (LABEL_GREETER); the desired-state builders use them to name and select.
 */
import {
  APP_NAME,
  LABEL_COMPONENT,
  LABEL_GREETER,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  LABEL_PART_OF,
  MANAGED_BY,
} from "../api/v1alpha1/constants.ts";

/** Added to the Greeter's name for the internal metrics Service of a NodePort or LoadBalancer Greeter. */
export const METRICS_SERVICE_SUFFIX = "-metrics";

/** Every child is named after its Greeter: the Greeter CRD restricts names to DNS-1035 labels for this. */
export function childNames(greeterName: string): {
  deployment: string;
  service: string;
  metricsService: string;
  serviceMonitor: string;
  networkPolicy: string;
} {
  return {
    deployment: greeterName,
    service: greeterName,
    metricsService: `${greeterName}${METRICS_SERVICE_SUFFIX}`,
    serviceMonitor: greeterName,
    networkPolicy: greeterName,
  };
}

/** The Greeters whose child could be named `childName`: one of that name, and one whose metrics Service it is. */
export function greeterNamesFor(childName: string): string[] {
  return childName.endsWith(METRICS_SERVICE_SUFFIX)
    ? [childName, childName.slice(0, -METRICS_SERVICE_SUFFIX.length)]
    : [childName];
}

/** Labels selecting the Greeter's pods (Deployment selector, Service selector, status.selector). Immutable. */
export function childSelector(greeterName: string): Record<string, string> {
  return { [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: greeterName, [LABEL_GREETER]: greeterName };
}

/** Labels on every child and pod. */
export function childLabels(greeterName: string): Record<string, string> {
  return {
    ...childSelector(greeterName),
    [LABEL_COMPONENT]: "server",
    [LABEL_PART_OF]: "greeter-operator",
    [LABEL_MANAGED_BY]: MANAGED_BY,
  };
}

/** "k1=v1,k2=v2", sorted: the form status.selector and the scale subresource use. */
export function selectorString(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(",");
}
