/**
 * config/'s rendered objects as Helm templates. Generic over config/: every name config/default gives is
 * re-derived from the release's fullname, every namespace becomes the release namespace, every label map
 * gains Helm's labels, and every selector of the operator's pods gains the release's instance label (two
 * releases in one namespace do not select each other's pods). What a value changes is listed below, by kind.
 */
import { stringify } from "yaml";
import { escapeActions, type Obj, optionalYamlBlock, Template, toYamlBlock } from "./template-text.ts";

export const CHART = "greeter-operator";
const FULLNAME = `{{ include "${CHART}.fullname" $ }}`;
const INSTANCE = "app.kubernetes.io/instance";
const clone = <T>(o: T): T => structuredClone(o);

/** What the objects of config/default are, as the templates need to know them. */
export interface Context {
  names: Set<string>;
  namespace: string;
  services: Set<string>;
  /** The ClusterRoles (and their bindings) that `watchNamespaces` turns into per-namespace Roles. */
  scopedRoles: Set<string>;
  scopedBindings: Set<string>;
}

export interface TemplateFile {
  file: string;
  text: string;
}

const CLUSTER_SCOPED_GROUPS = new Set([
  "authentication.k8s.io",
  "authorization.k8s.io",
  "apiextensions.k8s.io",
]);
const CLUSTER_SCOPED_RESOURCES = new Set(["namespaces", "nodes", "persistentvolumes", "clusterroles"]);

/** The ClusterRoles bound to the operator's ServiceAccount whose every rule is about namespaced resources. */
export function context(objs: Obj[], serviceAccount: string): Context {
  const namespace = objs.find((o) => o.kind === "Deployment")?.metadata.namespace;
  const names = new Set(
    objs.filter((o) => o.metadata?.name && o.kind !== "Namespace").map((o) => o.metadata.name),
  );
  const services = new Set(objs.filter((o) => o.kind === "Service").map((o) => o.metadata.name));
  const scopedRoles = new Set<string>();
  const scopedBindings = new Set<string>();
  for (const b of objs.filter((o) => o.kind === "ClusterRoleBinding")) {
    const toOperator = b.subjects?.some((s: Obj) => s.kind === "ServiceAccount" && s.name === serviceAccount);
    const role = objs.find((o) => o.kind === "ClusterRole" && o.metadata.name === b.roleRef.name);
    const namespacedOnly = role?.rules?.every(
      (r: Obj) =>
        !r.nonResourceURLs &&
        !r.apiGroups.some((g: string) => CLUSTER_SCOPED_GROUPS.has(g)) &&
        !r.resources.some((res: string) => CLUSTER_SCOPED_RESOURCES.has(res.split("/")[0] as string)),
    );
    if (toOperator && role && namespacedOnly) {
      scopedRoles.add(role.metadata.name);
      scopedBindings.add(b.metadata.name);
    }
  }
  return { names, namespace, services, scopedRoles, scopedBindings };
}

const helmLabels = (t: Template) =>
  t.block((indent) => `${indent}{{- include "${CHART}.labels" $ | nindent ${indent.length} }}`);

/** A name from config/: the fullname plus what followed the chart's name ("greeter-operator-metrics"). */
function templatedName(t: Template, name: string): string {
  const rest = name.startsWith(CHART) ? name.slice(CHART.length) : `-${name}`;
  return t.expr(FULLNAME) + rest;
}

/** Names, namespaces, labels and selectors, everywhere in an object (see the file's comment). */
function substitute(t: Template, ctx: Context, value: unknown, key = "", parent = ""): unknown {
  if (typeof value === "string") {
    if (ctx.names.has(value)) return templatedName(t, value);
    if (value === ctx.namespace) return t.expr("{{ $.Release.Namespace }}");
    // prometheus-operator names a scrape job after the Service, so alerts select job="<service name>"; a TLS
    // client names the Service by its DNS name, <service>.<namespace>.svc.
    return escapeActions(value)
      .replace(/job="([^"]+)"/g, (m, svc: string) =>
        ctx.services.has(svc) ? `job="${templatedName(t, svc)}"` : m,
      )
      .replace(/\b([a-z0-9-]+)\.([a-z0-9-]+)\.svc\b/g, (m, svc: string, ns: string) =>
        ctx.services.has(svc) && ns === ctx.namespace
          ? `${templatedName(t, svc)}.${t.expr("{{ $.Release.Namespace }}")}.svc`
          : m,
      );
  }
  if (Array.isArray(value)) return value.map((v) => substitute(t, ctx, v));
  if (value && typeof value === "object") {
    const o = value as Obj;
    const isLabelMap = Object.values(o).every((v) => typeof v === "string");
    // Label maps keep their values: app.kubernetes.io/name is the chart's name, not an object's.
    const keepValues = (m: Obj) =>
      Object.fromEntries(Object.entries(m).map(([k, v]) => [k, escapeActions(v)]));
    if (key === "labels" && isLabelMap) {
      return parent === "metadata" ? { ...keepValues(o), "helm-labels": helmLabels(t) } : keepValues(o);
    }
    if ((key === "matchLabels" || key === "selector") && isLabelMap) {
      return o["app.kubernetes.io/name"] === CHART
        ? { ...keepValues(o), [INSTANCE]: t.expr("{{ $.Release.Name }}") }
        : keepValues(o);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, substitute(t, ctx, v, k, key)]));
  }
  return value;
}

/** `key:` and a literal value from config/, as template lines at `indent`. */
const literal = (value: unknown, indent: string, head: string): string =>
  stringify({ [head.replace(/:$/, "")]: value }, { lineWidth: 0 })
    .trimEnd()
    .split("\n")
    .map((l) => `${indent}${l}`)
    .join("\n");

/** That, only when `cond` holds. */
const literalIf =
  (value: unknown, cond: string) =>
  (indent: string, head: string): string =>
    `${indent}{{- if ${cond} }}\n${literal(value, indent, head)}\n${indent}{{- end }}`;

const setEnv = (container: Obj, name: string, value: string) => {
  const e = container.env?.find((x: Obj) => x.name === name);
  if (!e) throw new Error(`the operator's container sets no ${name}`);
  e.value = value;
};

function deployment(t: Template, ctx: Context, d: Obj, metricsSecure: boolean | undefined): Obj {
  d.spec.replicas = t.expr("{{ $.Values.replicaCount }}");
  const pod = d.spec.template.spec;
  const manager = pod.containers.find((c: Obj) => c.name === "manager") ?? pod.containers[0];
  manager.image = t.expr('{{ printf "%s:%s" $.Values.image.repository $.Values.image.tag | quote }}');
  manager.imagePullPolicy = t.expr("{{ $.Values.image.pullPolicy }}");
  setEnv(
    manager,
    "GREETER_IMAGE",
    t.expr('{{ printf "%s:%s" $.Values.greeterImage.repository $.Values.greeterImage.tag | quote }}'),
  );
  setEnv(manager, "LEADER_ELECT", t.expr("{{ $.Values.leaderElection.enabled | quote }}"));
  setEnv(manager, "LOG_LEVEL", t.expr("{{ $.Values.logLevel }}"));
  manager.env.push(
    t.block(
      (indent) =>
        `${indent}{{- if $.Values.watchNamespaces }}\n${indent}- name: WATCH_NAMESPACES\n${indent}  value: {{ join "," $.Values.watchNamespaces | quote }}\n${indent}{{- end }}`,
    ),
    // The Lease is named after the release, so two releases in one namespace each elect their own leader;
    // config/default's release keeps the operator's default id.
    t.block(
      (indent) =>
        `${indent}{{- if ne (include "${CHART}.fullname" $) "${CHART}" }}\n${indent}- name: LEADER_ELECTION_ID\n${indent}  value: ${FULLNAME}\n${indent}{{- end }}`,
    ),
  );
  if (metricsSecure !== undefined) {
    const flag = (manager.args ?? []).findIndex((a: string) => /^--metrics-secure(=|$)/.test(a));
    if (flag >= 0) manager.args[flag] = t.expr("--metrics-secure={{ $.Values.metrics.secure }}");
    else setEnv(manager, "METRICS_SECURE", t.expr("{{ $.Values.metrics.secure | quote }}"));
  }
  manager.resources = t.block(toYamlBlock("$.Values.resources"));
  manager.securityContext = t.block(toYamlBlock("$.Values.securityContext"));
  const defaultAffinity = pod.affinity;
  const substituted = substitute(t, ctx, d) as Obj;
  const podOut = substituted.spec.template.spec;
  const withBlocks: Obj = {};
  for (const [k, v] of Object.entries(podOut)) {
    if (k === "securityContext") withBlocks[k] = t.block(toYamlBlock("$.Values.podSecurityContext"));
    else if (k === "affinity") continue;
    else withBlocks[k] = v;
    if (k === "serviceAccountName") {
      withBlocks.imagePullSecrets = t.block(
        (indent, head) =>
          `${indent}{{- with $.Values.image.pullSecrets }}\n${indent}${head}\n${indent}  {{- range . }}\n${indent}  - name: {{ . }}\n${indent}  {{- end }}\n${indent}{{- end }}`,
      );
    }
  }
  withBlocks.nodeSelector = t.block(optionalYamlBlock("$.Values.nodeSelector"));
  withBlocks.tolerations = t.block(optionalYamlBlock("$.Values.tolerations"));
  const affinityDefault = defaultAffinity ? substitute(t, ctx, defaultAffinity) : undefined;
  withBlocks.affinity = t.block((indent, head) => {
    const custom = `${indent}${head}\n${indent}  {{- toYaml $.Values.affinity | nindent ${indent.length + 2} }}`;
    if (!affinityDefault) return `${indent}{{- if $.Values.affinity }}\n${custom}\n${indent}{{- end }}`;
    const fallback = literal(affinityDefault, indent, head);
    return `${indent}{{- if $.Values.affinity }}\n${custom}\n${indent}{{- else }}\n${fallback}\n${indent}{{- end }}`;
  });
  substituted.spec.template.spec = withBlocks;
  return substituted;
}

const extraLabels = (t: Template, obj: Obj, value: string) => {
  obj.metadata.labels = {
    ...obj.metadata.labels,
    "helm-extra": t.block(
      (indent) =>
        `${indent}{{- with ${value} }}\n${indent}{{- toYaml . | nindent ${indent.length} }}\n${indent}{{- end }}`,
    ),
  };
};

function serviceMonitor(t: Template, ctx: Context, sm: Obj, metricsSecure: boolean | undefined): Obj {
  const out = substitute(t, ctx, sm) as Obj;
  extraLabels(t, out, "$.Values.serviceMonitor.additionalLabels");
  if (metricsSecure !== undefined) {
    out.spec.endpoints = out.spec.endpoints.map((e: Obj) => {
      if (e.scheme !== "https") return e;
      // Plain keys first: a list item cannot start with a conditional block.
      const secured: Obj = {};
      const conditional: Obj = {};
      for (const [k, v] of Object.entries(e)) {
        if (k === "scheme")
          secured[k] = t.expr("{{ if $.Values.metrics.secure }}https{{ else }}http{{ end }}");
        else if (["tlsConfig", "authorization", "bearerTokenFile", "bearerTokenSecret"].includes(k))
          conditional[k] = t.block(literalIf(v, "$.Values.metrics.secure"));
        else secured[k] = v;
      }
      return { ...secured, ...conditional };
    });
  }
  return out;
}

/** A ClusterRole or ClusterRoleBinding as a Role or RoleBinding in each watched namespace. */
function perWatchedNamespace(t: Template, ctx: Context, o: Obj): string {
  const scoped = clone(o);
  scoped.kind = o.kind === "ClusterRole" ? "Role" : "RoleBinding";
  if (scoped.roleRef) scoped.roleRef.kind = "Role";
  const out = substitute(t, ctx, scoped) as Obj;
  out.metadata = { name: out.metadata.name, namespace: t.expr("{{ $watched }}"), ...out.metadata };
  return `{{- range $watched := $.Values.watchNamespaces }}\n---\n${t.render(out)}{{- end }}\n`;
}

function fileName(o: Obj): string {
  const rest = o.metadata.name.startsWith(CHART) ? o.metadata.name.slice(CHART.length + 1) : o.metadata.name;
  return `${o.kind.toLowerCase()}${rest ? `-${rest}` : ""}.yaml`;
}

/** One template file per object of config/default (the CRD and the Namespace excepted: see chart.ts). */
export function objectTemplates(
  objs: Obj[],
  ctx: Context,
  metricsSecure: boolean | undefined,
): TemplateFile[] {
  const files: TemplateFile[] = [];
  for (const original of objs) {
    const o = clone(original);
    const t = new Template();
    let text: string;
    switch (o.kind) {
      case "Deployment":
        text = t.render(deployment(t, ctx, o, metricsSecure));
        break;
      case "PodDisruptionBudget":
        // minAvailable 1 with a single replica would block every node drain.
        text = t.render(substitute(t, ctx, o) as Obj, "gt (int $.Values.replicaCount) 1");
        break;
      case "ServiceMonitor":
        text = t.render(serviceMonitor(t, ctx, o, metricsSecure), "$.Values.serviceMonitor.enabled");
        break;
      case "NetworkPolicy":
        text = t.render(substitute(t, ctx, o) as Obj, "$.Values.networkPolicy.enabled");
        break;
      case "PrometheusRule": {
        const out = substitute(t, ctx, o) as Obj;
        extraLabels(t, out, "$.Values.prometheusRule.additionalLabels");
        text = t.render(out, "$.Values.prometheusRule.enabled");
        break;
      }
      case "ClusterRole":
      case "ClusterRoleBinding":
        if (ctx.scopedRoles.has(o.metadata.name) && o.kind === "ClusterRole") {
          text =
            t.render(substitute(t, ctx, o) as Obj, "not $.Values.watchNamespaces") +
            perWatchedNamespace(t, ctx, o);
        } else if (ctx.scopedBindings.has(o.metadata.name) && o.kind === "ClusterRoleBinding") {
          text =
            t.render(substitute(t, ctx, o) as Obj, "not $.Values.watchNamespaces") +
            perWatchedNamespace(t, ctx, o);
        } else {
          text = t.render(substitute(t, ctx, o) as Obj);
        }
        break;
      default:
        text = t.render(substitute(t, ctx, o) as Obj);
    }
    files.push({ file: fileName(original), text });
  }
  return files;
}

/** The dashboards' ConfigMaps, each reading its JSON from the chart's dashboards/ directory. */
export function dashboardTemplates(configMaps: Obj[], label: string): TemplateFile[] {
  return configMaps.map((cm) => {
    const t = new Template();
    const { [label]: _sidecar, ...labels } = cm.metadata.labels ?? {};
    const out: Obj = {
      apiVersion: cm.apiVersion,
      kind: cm.kind,
      metadata: {
        name: templatedName(t, cm.metadata.name),
        namespace: t.expr("{{ $.Values.dashboards.namespace | default $.Release.Namespace }}"),
        labels: {
          ...labels,
          sidecar: t.block(
            (indent) =>
              `${indent}{{ $.Values.dashboards.label }}: {{ $.Values.dashboards.labelValue | quote }}`,
          ),
          "helm-labels": helmLabels(t),
        },
      },
      data: Object.fromEntries(
        Object.keys(cm.data).map((file) => [
          file,
          t.block(
            (indent, head) =>
              `${indent}${head} |\n${indent}  {{- $.Files.Get "dashboards/${file}" | nindent ${indent.length + 2} }}`,
          ),
        ]),
      ),
    };
    return { file: `configmap-${cm.metadata.name}.yaml`, text: t.render(out, "$.Values.dashboards.enabled") };
  });
}
