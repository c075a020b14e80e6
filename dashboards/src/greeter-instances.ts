/**
 * "Greeter instances": RED metrics per Greeter, plus each pod's process health. Every query is cut by the
 * labels a prometheus-operator ServiceMonitor gives a target: `namespace`, `job` (the Service's name, which the
 * operator sets to the Greeter's name) and `pod`.
 */
import { type Dashboard, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { cpuPanel, eventLoopLagPanel, heapPanel, ofPods, residentMemoryPanel } from "./process-panels.ts";
import { dashboard, labelVariable, numberPanels, query, timeseries } from "./shared.ts";

export const GREETER_INSTANCES_UID = "greeter-instances";

const SEL = 'namespace=~"$namespace", job=~"$greeter", pod=~"$pod"';
/** Kubernetes probes and Prometheus scrapes are not user traffic; latency and errors leave them out. */
const USER_ROUTES = 'route!~"/metrics|/healthz|/readyz"';
const PER_GREETER = "namespace, job";
/** Every greeter pod exports it, and only greeters do ("All" is `.+`, which matches any scraped process). */
const GREETER_PODS = `greeter_build_info{${SEL}}`;
/** The Deployments the operator made, by the label kube-state-metrics is allowed to copy (docs/monitoring.md). */
const GREETER_DEPLOYMENTS =
  'kube_deployment_labels{namespace=~"$namespace", deployment=~"$greeter", label_app_kubernetes_io_managed_by="greeter-operator"}';

/** `4xx` / `5xx` ratio per Greeter that reads 0, not "no data", while that class has never been served. */
function errorRatio(statusClass: "4" | "5"): string {
  const all = `sum by (${PER_GREETER}) (rate(http_requests_total{${SEL}, ${USER_ROUTES}}[$__rate_interval]))`;
  const errors = `sum by (${PER_GREETER}) (rate(http_requests_total{${SEL}, ${USER_ROUTES}, status_code=~"${statusClass}.."}[$__rate_interval]))`;
  return `(${errors} or ${all} * 0) / ${all}`;
}

function latency(quantile: string): string {
  return `histogram_quantile(${quantile}, sum by (${PER_GREETER}, le) (rate(http_request_duration_seconds_bucket{${SEL}, ${USER_ROUTES}}[$__rate_interval])))`;
}

export function greeterInstancesDashboard(): Dashboard {
  const builder = dashboard({
    title: "Greeter instances",
    uid: GREETER_INSTANCES_UID,
    description: "Requests, errors, latency and process health of the greeter workloads the operator runs.",
    tags: ["greeter", "greeter-operator"],
  })
    .withVariable(
      labelVariable(
        "namespace",
        "Namespace",
        "label_values(greeter_build_info, namespace)",
        "Namespaces that run at least one scraped greeter.",
      ),
    )
    .withVariable(
      labelVariable(
        "greeter",
        "Greeter",
        'label_values(greeter_build_info{namespace=~"$namespace"}, job)',
        "The Greeter: its Service's name, which the ServiceMonitor puts in the job label.",
      ),
    )
    .withVariable(
      labelVariable(
        "pod",
        "Pod",
        'label_values(greeter_build_info{namespace=~"$namespace", job=~"$greeter"}, pod)',
        "Greeter pods (one Prometheus target each).",
      ),
    )

    .withRow(new RowBuilder("Traffic"))
    .withPanel(
      timeseries({
        title: "Request rate by route and status class",
        description:
          "Requests per second each Greeter served, split by route template and status class (2xx, 4xx, 5xx). Unknown paths share one route value, so this stays readable under scanner traffic.",
        unit: "reqps",
        min: 0,
        targets: [
          query(
            `sum by (${PER_GREETER}, route, status_class) (label_replace(rate(http_requests_total{${SEL}}[$__rate_interval]), "status_class", "$1", "status_code", "([0-9])[0-9][0-9]"))`,
            "{{job}} {{route}} {{status_class}}xx",
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Error ratio (4xx and 5xx)",
        description:
          "Share of user requests (probes and scrapes excluded) answered with a 4xx (the client's fault: bad names, wrong content type) and with a 5xx (ours). 5xx is what the GreeterHighErrorRatio alert watches.",
        unit: "percentunit",
        min: 0,
        targets: [query(errorRatio("4"), "{{job}} 4xx"), query(errorRatio("5"), "{{job}} 5xx")],
      }),
    )
    .withPanel(
      timeseries({
        title: "Latency p50 / p95 / p99",
        description:
          "Server-side request duration quantiles per Greeter, estimated from the http_request_duration_seconds histogram summed over pods and routes (probes and scrapes excluded).",
        unit: "s",
        min: 0,
        targets: [
          query(latency("0.5"), "{{job}} p50"),
          query(latency("0.95"), "{{job}} p95"),
          query(latency("0.99"), "{{job}} p99"),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "In-flight requests",
        description:
          "Requests being served right now, per pod. A climb that does not come down means requests pile up.",
        unit: "short",
        min: 0,
        targets: [query(`sum by (${PER_GREETER}, pod) (http_requests_in_flight{${SEL}})`, "{{pod}}")],
      }),
    )
    .withPanel(
      timeseries({
        title: "Greetings per second",
        description: "Successful greetings (200 answers to POST /echo-name) per second, per Greeter.",
        unit: "ops",
        min: 0,
        targets: [
          query(
            `sum by (${PER_GREETER}) (rate(greeter_greetings_total{${SEL}}[$__rate_interval]))`,
            "{{job}}",
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Replicas: desired vs ready vs scraped",
        description:
          "Desired and available replicas come from kube-state-metrics (kube_deployment_*; the Deployment carries the Greeter's name), so they need kube-state-metrics, which kube-prometheus-stack installs. 'Scraped and up' counts the pods Prometheus reaches, with no extra component. The operator cannot export these per Greeter: its metrics never carry a Greeter's name.",
        unit: "short",
        min: 0,
        targets: [
          query(
            `max by (namespace, deployment) (kube_deployment_spec_replicas{namespace=~"$namespace", deployment=~"$greeter"} and on (namespace, deployment) ${GREETER_DEPLOYMENTS})`,
            "{{deployment}} desired",
          ),
          query(
            `max by (namespace, deployment) (kube_deployment_status_replicas_available{namespace=~"$namespace", deployment=~"$greeter"} and on (namespace, deployment) ${GREETER_DEPLOYMENTS})`,
            "{{deployment}} available",
          ),
          query(
            `count by (${PER_GREETER}) (${ofPods(`up{${SEL}} == 1`, GREETER_PODS)})`,
            "{{job}} scraped and up",
          ),
        ],
      }),
    )

    .withRow(new RowBuilder("Pods"))
    .withPanel(cpuPanel({ sel: SEL, of: GREETER_PODS, width: 8 }))
    .withPanel(residentMemoryPanel({ sel: SEL, of: GREETER_PODS, width: 8, process: "greeter" }))
    .withPanel(
      eventLoopLagPanel({
        sel: SEL,
        of: GREETER_PODS,
        width: 8,
        why: "Every request waits this long on top of its own work; above a few milliseconds the process is CPU-bound.",
      }),
    )
    .withPanel(heapPanel({ sel: SEL, of: GREETER_PODS, width: 12 }))
    .withPanel(
      timeseries({
        title: "Pods by version",
        description:
          "Greeter pods per build version (greeter_build_info). Two versions side by side means a rollout is under way or stuck; compare with errors and latency above.",
        unit: "short",
        min: 0,
        width: 12,
        targets: [
          query(`count by (${PER_GREETER}, version) (greeter_build_info{${SEL}})`, "{{job}} {{version}}"),
        ],
      }),
    );
  return numberPanels(builder.build());
}
