/**
 * The chart's values: one tree, read from config/'s rendered objects, that gives values.yaml (with a
 * `# --` comment per value, the README's source) and values.schema.json. Defaults are config/default's, so
 * a default install is config/default.
 */
import { stringify } from "yaml";
import { LOG_LEVELS } from "../../operator/telemetry/logger.ts";
import type { Obj } from "./template-text.ts";

type Schema = Obj;
export interface Leaf {
  doc: string;
  value: unknown;
  schema: Schema;
}
export interface Branch {
  doc?: string;
  children: Record<string, Node>;
}
export type Node = Leaf | Branch;
const isBranch = (n: Node): n is Branch => "children" in n;

const DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const labels: Schema = { type: "object", additionalProperties: { type: "string" } };
const anyObject: Schema = { type: "object" };

/** What the values tree is read from: the rendered config/ the chart is generated from. */
export interface Sources {
  manager: Obj; // the operator's container
  pod: Obj; // the Deployment's pod template
  replicas: number;
  dashboardLabel: [string, string];
  /** The `--metrics-secure` flag's default when the operator has one (issue #13), else undefined. */
  metricsSecure: boolean | undefined;
  /** Whether config/ installs the operator's NetworkPolicy (config/manager/network-policy.yaml). */
  networkPolicy: boolean;
}

const envValue = (manager: Obj, name: string): string | undefined =>
  manager.env?.find((e: Obj) => e.name === name)?.value;

/** "registry/name:tag" -> ["registry/name", "tag"] (the last colon after the last slash). */
export function splitImage(ref: string): [string, string] {
  const at = ref.lastIndexOf(":");
  if (at <= ref.lastIndexOf("/")) throw new Error(`image ${ref} has no tag`);
  return [ref.slice(0, at), ref.slice(at + 1)];
}

export function valuesTree(s: Sources): Record<string, Node> {
  const [repository, tag] = splitImage(s.manager.image);
  const greeterImage = envValue(s.manager, "GREETER_IMAGE");
  if (!greeterImage) throw new Error("the operator's container sets no GREETER_IMAGE");
  const [greeterRepository, greeterTag] = splitImage(greeterImage);
  const tree: Record<string, Node> = {
    replicaCount: {
      doc: "Operator pods. One leads and reconciles (a Lease); the others stand by to take over. The PodDisruptionBudget is rendered only above 1.",
      value: s.replicas,
      schema: { type: "integer", minimum: 0 },
    },
    fullnameOverride: {
      doc: "The prefix of every object's name. Empty: the release name, followed by \"-greeter-operator\" unless it contains that already; the release `greeter-operator` gets config/default's names.",
      value: "",
      schema: { type: "string", maxLength: 48 },
    },
    image: {
      children: {
        repository: {
          doc: "The operator image.",
          value: repository,
          schema: { type: "string", minLength: 1 },
        },
        tag: { doc: "The operator image's tag.", value: tag, schema: { type: "string", minLength: 1 } },
        pullPolicy: {
          doc: "The operator image's pull policy.",
          value: s.manager.imagePullPolicy,
          schema: { type: "string", enum: ["Always", "IfNotPresent", "Never"] },
        },
        pullSecrets: {
          doc: "Names of Secrets in the release namespace to pull the operator image with.",
          value: [],
          schema: { type: "array", items: { type: "string", pattern: DNS_LABEL } },
        },
      },
    },
    greeterImage: {
      children: {
        repository: {
          doc: "The greeter image the operator runs for each Greeter.",
          value: greeterRepository,
          schema: { type: "string", minLength: 1 },
        },
        tag: { doc: "The greeter image's tag.", value: greeterTag, schema: { type: "string", minLength: 1 } },
      },
    },
    leaderElection: {
      children: {
        enabled: {
          doc: "Leader election through a Lease in the release namespace. Turn it off only with replicaCount 1.",
          value: envValue(s.manager, "LEADER_ELECT") === "true",
          schema: { type: "boolean" },
        },
      },
    },
    logLevel: {
      doc: "The operator's log level.",
      value: envValue(s.manager, "LOG_LEVEL") ?? "info",
      schema: { type: "string", enum: [...LOG_LEVELS] },
    },
    watchNamespaces: {
      doc: "Namespaces whose Greeters the operator reconciles. Empty: all namespaces, with a ClusterRole. Set: only these, with a Role and RoleBinding in each (the namespaces must exist).",
      value: [],
      schema: { type: "array", items: { type: "string", pattern: DNS_LABEL }, uniqueItems: true },
    },
    resources: {
      doc: "The operator container's resources.",
      value: s.manager.resources,
      schema: anyObject,
    },
    ...(s.metricsSecure === undefined
      ? {}
      : {
          metrics: {
            children: {
              secure: {
                doc: "Serve metrics over HTTPS, for callers the API server authenticates and authorises (the operator's --metrics-secure). The ServiceMonitor follows.",
                value: s.metricsSecure,
                schema: { type: "boolean" },
              },
            },
          },
        }),
    serviceMonitor: {
      children: {
        enabled: {
          doc: "The operator's ServiceMonitor (needs the prometheus-operator CRDs).",
          value: true,
          schema: { type: "boolean" },
        },
        additionalLabels: {
          doc: "Extra labels on the ServiceMonitor, e.g. `release: <kube-prometheus-stack release>` for its Prometheus to select it.",
          value: {},
          schema: labels,
        },
      },
    },
    prometheusRule: {
      children: {
        enabled: {
          doc: "The PrometheusRule with the operator's and the greeters' alerts (needs the prometheus-operator CRDs).",
          value: true,
          schema: { type: "boolean" },
        },
        additionalLabels: {
          doc: "Extra labels on the PrometheusRule, e.g. `release: <kube-prometheus-stack release>`.",
          value: {},
          schema: labels,
        },
      },
    },
    dashboards: {
      children: {
        enabled: {
          doc: "The Grafana dashboards as ConfigMaps for Grafana's dashboard sidecar.",
          value: false,
          schema: { type: "boolean" },
        },
        namespace: {
          doc: "Where the dashboard ConfigMaps go (a namespace the sidecar searches). Empty: the release namespace.",
          value: "",
          schema: { type: "string", anyOf: [{ maxLength: 0 }, { pattern: DNS_LABEL }] },
        },
        label: {
          doc: "The label the sidecar selects ConfigMaps by (kube-prometheus-stack: grafana_dashboard).",
          value: s.dashboardLabel[0],
          schema: { type: "string", minLength: 1 },
        },
        labelValue: {
          doc: "That label's value.",
          value: s.dashboardLabel[1],
          schema: { type: "string" },
        },
      },
    },
    nodeSelector: { doc: "The operator pods' nodeSelector.", value: {}, schema: labels },
    tolerations: { doc: "The operator pods' tolerations.", value: [], schema: { type: "array" } },
    affinity: {
      doc: "The operator pods' affinity. Empty: prefer spreading the replicas over nodes.",
      value: {},
      schema: anyObject,
    },
    podSecurityContext: {
      doc: "The operator pods' securityContext (the restricted Pod Security Standard by default).",
      value: s.pod.spec.securityContext,
      schema: anyObject,
    },
    securityContext: {
      doc: "The operator container's securityContext.",
      value: s.manager.securityContext,
      schema: anyObject,
    },
    networkPolicy: {
      children: {
        enabled: {
          doc: "The NetworkPolicy of config/manager: ingress to the operator pods only on their metrics and probe ports (docs/security.md).",
          value: s.networkPolicy,
          schema: { type: "boolean" },
        },
      },
    },
  };
  return tree;
}

/** values.yaml: each value under its `# --` comment. */
export function valuesYaml(tree: Record<string, Node>): string {
  const lines = [
    "# Generated by `npm run generate` from config/ (hack/generate-helm-chart.ts): edit that, not this file.",
    "# Every value is documented in README.md; values.schema.json checks their types.",
    "",
  ];
  const walk = (nodes: Record<string, Node>, indent: string) => {
    for (const [key, node] of Object.entries(nodes)) {
      if (node.doc) lines.push(`${indent}# -- ${node.doc}`);
      if (isBranch(node)) {
        lines.push(`${indent}${key}:`);
        walk(node.children, `${indent}  `);
      } else {
        const text = stringify({ [key]: node.value }, { lineWidth: 0 }).trimEnd();
        for (const l of text.split("\n")) lines.push(`${indent}${l}`);
      }
      if (indent === "") lines.push("");
    }
  };
  walk(tree, "");
  return `${lines.join("\n").trimEnd()}\n`;
}

/** values.schema.json: types checked by helm install/upgrade/template/lint; unknown keys rejected. */
export function valuesSchema(tree: Record<string, Node>): string {
  const object = (nodes: Record<string, Node>): Schema => ({
    type: "object",
    additionalProperties: false,
    properties: Object.fromEntries(
      Object.entries(nodes).map(([k, n]) => [
        k,
        isBranch(n) ? object(n.children) : { ...n.schema, ...(n.doc ? { description: n.doc } : {}) },
      ]),
    ),
  });
  const schema: Schema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "greeter-operator chart values",
    ...object(tree),
  };
  // Helm passes `global` to a chart used as a dependency.
  schema.properties.global = { type: "object" };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
