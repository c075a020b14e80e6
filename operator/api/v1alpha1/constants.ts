/**
 * Names that identify the Greeter API and everything the operator writes: group, version, kind, labels and the
 * server-side-apply field manager. The CRD generator, the reconciler and the runtime glue all read them from here.
 */

export const GROUP = "greeter.operator.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "Greeter";
export const LIST_KIND = "GreeterList";
export const PLURAL = "greeters";
export const SINGULAR = "greeter";
export const SHORT_NAMES = ["gr"] as const;
export const CATEGORIES = ["all", "greeter-operator"] as const;
/** metadata.name of the Greeter CRD. */
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/** Every child (Deployment, Service, ServiceMonitor) is server-side applied under this single field manager. */
export const FIELD_MANAGER = "greeter-operator";
/** Name of the controller in logs, metrics (`controller` label) and Events (`reportingController`). */
export const CONTROLLER_NAME = "greeter";
export const REPORTING_CONTROLLER = `${GROUP}/greeter-operator`;

/** Standard recommended labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/). */
export const LABEL_NAME = "app.kubernetes.io/name";
export const LABEL_INSTANCE = "app.kubernetes.io/instance";
export const LABEL_COMPONENT = "app.kubernetes.io/component";
export const LABEL_PART_OF = "app.kubernetes.io/part-of";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
/**
 * Carries the owning Greeter's name on every child and on the pods, so a pod event maps back to its Greeter key
 * (pods are owned by ReplicaSets, not by the Greeter) and a label-selected informer only sees our objects.
 */
export const LABEL_GREETER = `${GROUP}/greeter`;

export const APP_NAME = "greeter";
export const MANAGED_BY = "greeter-operator";

/** prometheus-operator's ServiceMonitor. Its CRD may be missing; the operator then runs without monitoring. */
export const SERVICE_MONITOR_GROUP = "monitoring.coreos.com";
export const SERVICE_MONITOR_API_VERSION = `${SERVICE_MONITOR_GROUP}/v1`;
export const SERVICE_MONITOR_KIND = "ServiceMonitor";
export const SERVICE_MONITOR_PLURAL = "servicemonitors";
export const SERVICE_MONITOR_CRD_NAME = `${SERVICE_MONITOR_PLURAL}.${SERVICE_MONITOR_GROUP}`;

/** The greeter container's public port (greeter/ listens on PORT=8080 and serves /echo-name, /healthz and /readyz). */
export const GREETER_CONTAINER_PORT = 8080;
export const GREETER_PORT_NAME = "http";
/**
 * The greeter's metrics port (METRICS_PORT; only GET /metrics). Only a ClusterIP Service carries it, so a
 * NodePort or LoadBalancer Greeter never exposes its process metrics outside the cluster. The Services use the
 * same number as the container.
 */
export const GREETER_METRICS_PORT = 9464;
export const GREETER_METRICS_PORT_NAME = "metrics";
export const GREETER_CONTAINER_NAME = "greeter";
/** Numeric, so the kubelet can verify runAsNonRoot without reading the image's /etc/passwd. */
export const GREETER_RUN_AS_USER = 65532;
