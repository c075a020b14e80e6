/**
 * The Greeter API (greeter.operator.dev/v1alpha1): its zod schema is the single source of truth. The CRD's
 * openAPIV3Schema is generated from it (hack/generate-crd.ts), the reconciler parses specs with it, and the TS
 * types are inferred from it. `.meta()` carries what only the API server understands (CEL rules, list types,
 * preserve-unknown-fields); each CEL rule has a zod refinement that says the same thing for the unit tests.
 */
import type { V1ObjectMeta } from "@kubernetes/client-node";
import * as z from "zod";
import { GREETER_METRICS_PORT } from "./constants.ts";
import { DEFAULT_GREETER_RESOURCES } from "./default-resources.ts";
import { compareQuantities, QUANTITY_PATTERN } from "./quantity.ts";

export const DEFAULT_GREETING = "Hello, {name}";
export const GREETING_PLACEHOLDER = "{name}";
export const MAX_REPLICAS = 100;
export const MAX_GREETING_LENGTH = 256;
/** prometheus-operator's Duration grammar (monitoring.coreos.com/v1 Duration). */
export const PROMETHEUS_DURATION_PATTERN =
  "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$";
/** Label names and values as the API server accepts them (qualified name; value ≤ 63 chars). */
const LABEL_KEY_PATTERN =
  "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$";
const LABEL_VALUE_PATTERN = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
/** Children are named after the Greeter, and a Service name must be a DNS-1035 label. */
export const GREETER_NAME_PATTERN = "^[a-z]([-a-z0-9]*[a-z0-9])?$";
export const MAX_GREETER_NAME_LENGTH = 63;
/** A NodePort or LoadBalancer Greeter also has a Service `<name>-metrics`, which must fit in 63 characters. */
export const MAX_EXPOSED_GREETER_NAME_LENGTH = MAX_GREETER_NAME_LENGTH - "-metrics".length;

const labelMap = (maxProperties: number) =>
  z
    .record(
      z.string().max(317).regex(new RegExp(LABEL_KEY_PATTERN)),
      z.string().max(63).regex(new RegExp(LABEL_VALUE_PATTERN)),
    )
    .refine((m) => Object.keys(m).length <= maxProperties, `at most ${maxProperties} labels`)
    .meta({ maxProperties });

export const QuantitySchema = z
  .union([z.int().nonnegative(), z.string().max(64).regex(new RegExp(QUANTITY_PATTERN))])
  .meta({ "x-kubernetes-int-or-string": true });
export type Quantity = z.infer<typeof QuantitySchema>;

const resourceList = z
  .record(z.string().max(253), QuantitySchema)
  .refine((m) => Object.keys(m).length <= 16, "at most 16 resources")
  .meta({ maxProperties: 16 });

export const ResourcesSchema = z
  .object({
    requests: resourceList.optional(),
    limits: resourceList.optional(),
  })
  .superRefine((r, issues) => {
    for (const [name, request] of Object.entries(r.requests ?? {})) {
      const limit = r.limits?.[name];
      if (limit !== undefined && compareQuantities(request, limit) > 0) {
        issues.addIssue({
          code: "custom",
          path: ["requests", name],
          message: "every resource request must be less than or equal to its limit",
        });
      }
    }
  })
  .meta({
    description: `Compute resources of the greeter container (core/v1 ResourceRequirements: requests and limits). Unset, it requests ${DEFAULT_GREETER_RESOURCES.requests.cpu} CPU and ${DEFAULT_GREETER_RESOURCES.requests.memory} of memory with a ${DEFAULT_GREETER_RESOURCES.limits.memory} memory limit, sized from the greeter's benchmark (Burstable QoS; no CPU limit, so a pod may use a free core). Set it to replace all of that; {} asks for nothing (BestEffort).`,
    "x-kubernetes-validations": [
      {
        rule: "!has(self.requests) || !has(self.limits) || self.requests.all(k, !(k in self.limits) || quantity(string(self.requests[k])).compareTo(quantity(string(self.limits[k]))) <= 0)",
        message: "every resource request must be less than or equal to its limit",
      },
    ],
  });

export const ServiceType = ["ClusterIP", "NodePort", "LoadBalancer"] as const;

export const ServiceSpecSchema = z
  .object({
    type: z
      .enum(ServiceType)
      .default("ClusterIP")
      .meta({
        description: `Kubernetes Service type. A ClusterIP Service also carries the greeter's metrics port (${GREETER_METRICS_PORT}, named metrics); a NodePort or LoadBalancer Service carries only the greeting port, and the metrics port goes on a separate ClusterIP Service <name>-metrics, so /metrics never leaves the cluster.`,
      }),
    port: z
      .int()
      .min(1)
      .max(65535)
      .default(80)
      .meta({
        description: `Port the Service exposes for greetings; on a ClusterIP Service it must not be ${GREETER_METRICS_PORT}, the metrics port.`,
      }),
    nodePort: z.int().min(30000).max(32767).optional().meta({
      description: "Fixed node port; only for type NodePort or LoadBalancer. Allocated when unset.",
    }),
  })
  .refine((s) => s.nodePort === undefined || s.type !== "ClusterIP", {
    message: "nodePort requires service type NodePort or LoadBalancer",
    path: ["nodePort"],
  })
  .refine((s) => s.type !== "ClusterIP" || s.port !== GREETER_METRICS_PORT, {
    message: `port ${GREETER_METRICS_PORT} is the metrics port of a ClusterIP Greeter's Service`,
    path: ["port"],
  })
  .meta({
    description: "The Service in front of the greeter pods.",
    "x-kubernetes-validations": [
      {
        rule: "!has(self.nodePort) || self.type != 'ClusterIP'",
        message: "nodePort requires service type NodePort or LoadBalancer",
        fieldPath: ".nodePort",
      },
      {
        // has(): the CRD's default for service ({}) is validated too, before its own fields are defaulted.
        rule: `(has(self.type) ? self.type : 'ClusterIP') != 'ClusterIP' || !has(self.port) || self.port != ${GREETER_METRICS_PORT}`,
        message: `port ${GREETER_METRICS_PORT} is the metrics port of a ClusterIP Greeter's Service`,
        fieldPath: ".port",
      },
    ],
  });

export const MonitoringSpecSchema = z
  .object({
    enabled: z.boolean().default(true).meta({ description: "Create a prometheus-operator ServiceMonitor." }),
    interval: z
      .string()
      .min(1)
      .max(32)
      .regex(new RegExp(PROMETHEUS_DURATION_PATTERN))
      .default("30s")
      .meta({ description: "Scrape interval, a Prometheus duration such as 30s or 1m30s." }),
    labels: labelMap(32)
      .optional()
      .meta({ description: "Extra labels on the ServiceMonitor, e.g. release: kube-prometheus-stack." }),
  })
  .meta({ description: "Prometheus scraping of the greeter's /metrics." });

/** A namespace name: a DNS-1123 label. */
const NAMESPACE_NAME_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const namespaceNames = (max: number) =>
  z.array(z.string().min(1).max(63).regex(new RegExp(NAMESPACE_NAME_PATTERN))).max(max);

/** metav1.LabelSelectorRequirement. */
export const LabelSelectorRequirementSchema = z
  .object({
    key: z.string().min(1).max(317).regex(new RegExp(LABEL_KEY_PATTERN)),
    operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
    values: z
      .array(z.string().max(63).regex(new RegExp(LABEL_VALUE_PATTERN)))
      .max(64)
      .optional(),
  })
  .refine(
    (r) =>
      r.operator === "In" || r.operator === "NotIn"
        ? (r.values?.length ?? 0) > 0
        : (r.values?.length ?? 0) === 0,
    { message: "values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist" },
  )
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
        message: "values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist",
      },
    ],
  });

/** metav1.LabelSelector, as in a NetworkPolicyPeer's namespaceSelector. */
export const LabelSelectorSchema = z
  .object({
    matchLabels: labelMap(32).optional(),
    matchExpressions: z.array(LabelSelectorRequirementSchema).max(16).optional(),
  })
  .meta({
    description:
      "Namespaces by label (metav1.LabelSelector: matchLabels and matchExpressions, ANDed), as in a NetworkPolicy's namespaceSelector. An empty selector ({}) matches every namespace.",
  });

/** An IPv4 or IPv6 CIDR: the pattern is the rough shape, isCIDR (CEL) and isCidr (zod) the exact check. */
const CIDR_PATTERN = "^([0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*/[0-9]{1,3})$";
const cidr = z
  .string()
  .min(1)
  .max(64)
  .regex(new RegExp(CIDR_PATTERN))
  .refine(isCidr, "must be a CIDR such as 10.0.0.0/8")
  .meta({
    "x-kubernetes-validations": [{ rule: "isCIDR(self)", message: "must be a CIDR such as 10.0.0.0/8" }],
  });

function isCidr(value: string): boolean {
  const [address = "", prefix = "", ...rest] = value.split("/");
  if (rest.length > 0 || !/^\d{1,3}$/.test(prefix)) return false;
  const bits = Number(prefix);
  if (address.includes(":")) return bits <= 128 && isIPv6(address);
  const octets = address.split(".");
  return bits <= 32 && octets.length === 4 && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

function isIPv6(address: string): boolean {
  const halves = address.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}

export const IPBlockSchema = z
  .object({
    cidr: cidr.meta({ description: "Source addresses, e.g. 203.0.113.0/24 or 0.0.0.0/0." }),
    except: z.array(cidr).max(16).optional().meta({ description: "Ranges inside cidr to leave out." }),
  })
  .meta({ description: "networking/v1 IPBlock." });

export const NetworkPolicySpecSchema = z
  .object({
    enabled: z.boolean().default(false).meta({
      description:
        "Create a NetworkPolicy <name> that selects the Greeter's pods and admits only the traffic named here; everything else to the pods is denied, traffic from the Greeter's own namespace too unless it is named. Setting it to false (or removing networkPolicy) deletes that NetworkPolicy. Enforced only by a network plugin that implements NetworkPolicy (Calico, Cilium, kindnet, ...).",
    }),
    namespaces: namespaceNames(64).optional().meta({
      description:
        "Namespaces, by name, whose pods may reach the greeting port (http). Matched through the kubernetes.io/metadata.name label that Kubernetes sets on every namespace.",
    }),
    namespaceSelector: LabelSelectorSchema.optional().meta({
      description:
        "Namespaces, by label, whose pods may reach the greeting port (http), in addition to namespaces. An empty selector ({}) admits every namespace of the cluster.",
    }),
    ipBlocks: z.array(IPBlockSchema).max(16).optional().meta({
      description:
        "Source address ranges that may reach the greeting port (http), e.g. the clients of a NodePort or LoadBalancer Greeter outside the cluster (0.0.0.0/0 for all of them). What source address a pod sees depends on the Service's externalTrafficPolicy and the network plugin.",
    }),
    monitoringNamespaces: namespaceNames(16).default(["monitoring"]).meta({
      description:
        "Namespaces, by name, whose pods may reach the metrics port (metrics): where Prometheus runs. [] closes the metrics port.",
    }),
  })
  .meta({
    description:
      "Opt-in NetworkPolicy for the greeter's pods: greetings only from the namespaces and addresses named, /metrics only from the monitoring namespaces.",
  });

export const TolerationSchema = z
  .object({
    key: z.string().max(317).optional(),
    operator: z.enum(["Exists", "Equal"]).optional(),
    value: z.string().max(63).optional(),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
    tolerationSeconds: z.int().optional(),
  })
  .refine((t) => t.operator !== "Exists" || !t.value, {
    message: "value must be empty when operator is Exists",
    path: ["value"],
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",
        message: "value must be empty when operator is Exists",
      },
    ],
  });

/** Free-form (core/v1 Affinity); the API server validates it when the operator applies the Deployment. */
export const AffinitySchema = z.record(z.string(), z.unknown()).meta({
  "x-kubernetes-preserve-unknown-fields": true,
  description: "Pod affinity (core/v1 Affinity), passed through to the pods.",
});

export const GreeterSpecSchema = z
  .object({
    replicas: z
      .int()
      .min(0)
      .max(MAX_REPLICAS)
      .default(1)
      .meta({ description: "Number of greeter pods; 0 is allowed." }),
    greeting: z
      .string()
      .min(1)
      .max(MAX_GREETING_LENGTH)
      .refine((g) => g.includes(GREETING_PLACEHOLDER), `greeting must contain ${GREETING_PLACEHOLDER}`)
      .default(DEFAULT_GREETING)
      .meta({
        description: "Greeting template; {name} is replaced by the caller's name.",
        "x-kubernetes-validations": [
          { rule: "self.contains('{name}')", message: "greeting must contain {name}" },
        ],
      }),
    image: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .meta({ description: "Greeter image; defaults to the operator's configured image." }),
    // A default for the whole object, not for requests and limits apart: a spec that sets only its own memory
    // request must not get a default limit below it.
    resources: ResourcesSchema.default(() => structuredClone(DEFAULT_GREETER_RESOURCES)),
    service: ServiceSpecSchema.prefault({}),
    monitoring: MonitoringSpecSchema.prefault({}),
    networkPolicy: NetworkPolicySpecSchema.prefault({}),
    nodeSelector: labelMap(64).optional().meta({ description: "Node labels the pods must match." }),
    tolerations: z.array(TolerationSchema).max(32).optional().meta({ description: "Pod tolerations." }),
    affinity: AffinitySchema.optional(),
    paused: z
      .boolean()
      .default(false)
      .meta({ description: "Stop reconciling this Greeter; children are left as they are." }),
  })
  .meta({ description: "Desired state of a Greeter." });

/** The spec as stored by the API server or written by a user (defaults may be missing). */
export type GreeterSpecInput = z.input<typeof GreeterSpecSchema>;
/** The spec with every default applied. */
export type GreeterSpec = z.output<typeof GreeterSpecSchema>;
export type ServiceSpec = GreeterSpec["service"];
export type MonitoringSpec = GreeterSpec["monitoring"];
export type NetworkPolicySpec = GreeterSpec["networkPolicy"];
export type Toleration = z.output<typeof TolerationSchema>;

export const ConditionStatus = ["True", "False", "Unknown"] as const;

/** metav1.Condition. */
export const ConditionSchema = z.object({
  type: z.string().max(316),
  status: z.enum(ConditionStatus),
  observedGeneration: z.int().min(0).optional(),
  lastTransitionTime: z.iso.datetime({ offset: true }).meta({ format: "date-time" }),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
  message: z.string().max(32768),
});
export type Condition = z.infer<typeof ConditionSchema>;

export const GreeterStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .meta({ description: "The generation this status describes." }),
    replicas: z
      .int()
      .min(0)
      .optional()
      .meta({ description: "Pods of the current Deployment (scale subresource)." }),
    readyReplicas: z.int().min(0).optional().meta({ description: "Ready pods." }),
    selector: z
      .string()
      .optional()
      .meta({ description: "Label selector of the pods (scale subresource, HPA)." }),
    url: z.string().optional().meta({ description: "In-cluster URL of the Service." }),
    conditions: z
      .array(ConditionSchema)
      .max(16)
      .optional()
      .meta({
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
        description: "Ready, Progressing, Degraded, MonitoringReady.",
      }),
  })
  .meta({ description: "Observed state of a Greeter." });
export type GreeterStatus = z.infer<typeof GreeterStatusSchema>;

/** A Greeter as read from the API server: the spec is unparsed (the reconciler parses it). */
export interface Greeter {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec?: GreeterSpecInput;
  status?: GreeterStatus;
}

export type ParsedSpec = { ok: true; spec: GreeterSpec } | { ok: false; message: string };

/** Applies defaults and validates; never throws, so an invalid object degrades one Greeter, not the operator. */
export function parseGreeterSpec(spec: unknown): ParsedSpec {
  const result = GreeterSpecSchema.safeParse(spec ?? {});
  if (result.success) return { ok: true, spec: result.data };
  return { ok: false, message: z.prettifyError(result.error).replaceAll("\n", "; ") };
}
