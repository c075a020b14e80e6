/**
 * "Greeter operator": is the operator keeping up? Reconcile throughput, errors and latency, its work queue,
 * its conversation with the API server, leadership, watch health, the Greeters' conditions, and the process.
 * Metric names are controller-runtime's, so the panels also read any controller-runtime operator's metrics.
 */
import { type Dashboard, MappingType, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as StateTimelineBuilder } from "@grafana/grafana-foundation-sdk/statetimeline";
import { cpuPanel, eventLoopLagPanel, heapPanel, ofPods, residentMemoryPanel } from "./process-panels.ts";
import { DATASOURCE, dashboard, labelVariable, numberPanels, query, timeseries } from "./shared.ts";

export const GREETER_OPERATOR_UID = "greeter-operator";

const SEL = 'namespace=~"$namespace", job=~"$job", pod=~"$pod"';
const CTRL = `${SEL}, controller=~"$controller"`;
/** Every operator pod, leader or standby, runs its informers and so exports this; no other process does. */
const OPERATOR_PODS = `greeter_operator_watch_last_event_age_seconds{${SEL}}`;

function quantile(q: string, histogram: string, by: string, extra = SEL): string {
  return `histogram_quantile(${q}, sum by (${by}, le) (rate(${histogram}_bucket{${extra}}[$__rate_interval])))`;
}

function leaderPanel(): StateTimelineBuilder {
  return new StateTimelineBuilder()
    .title("Leader per pod")
    .description(
      "Which operator pod holds the Lease. Exactly one should be leader at any time; none means nobody reconciles, two means a split brain.",
    )
    .datasource(DATASOURCE)
    .unit("none")
    .span(12)
    .height(8)
    .mappings([
      {
        type: MappingType.ValueToText,
        options: { "0": { text: "standby", color: "blue" }, "1": { text: "leader", color: "green" } },
      },
    ])
    .withTarget(query(`max by (pod) (leader_election_master_status{${SEL}})`, "{{pod}}").refId("A"));
}

export function greeterOperatorDashboard(): Dashboard {
  const builder = dashboard({
    title: "Greeter operator",
    uid: GREETER_OPERATOR_UID,
    description:
      "Health of the greeter operator: reconciles, work queue, API calls, leadership, watches and process.",
    tags: ["greeter-operator", "controller-runtime"],
  })
    // Variables read controller_runtime_max_concurrent_reconciles: a controller sets it when it starts, so an
    // operator with no Greeters yet (no reconcile counters) still shows up.
    .withVariable(
      labelVariable(
        "namespace",
        "Namespace",
        "label_values(controller_runtime_max_concurrent_reconciles, namespace)",
        "Namespace the operator runs in.",
      ),
    )
    .withVariable(
      labelVariable(
        "job",
        "Job",
        'label_values(controller_runtime_max_concurrent_reconciles{namespace=~"$namespace"}, job)',
        "The operator's metrics Service, as the ServiceMonitor names the job.",
      ),
    )
    .withVariable(
      labelVariable(
        "pod",
        "Pod",
        'label_values(greeter_operator_watch_last_event_age_seconds{namespace=~"$namespace", job=~"$job"}, pod)',
        "Operator pods: the leader and its standbys (standbys never reconcile, so they are listed from the watch metric every pod exports).",
      ),
    )
    .withVariable(
      labelVariable(
        "controller",
        "Controller",
        'label_values(controller_runtime_max_concurrent_reconciles{namespace=~"$namespace", job=~"$job"}, controller)',
        "Controller name (the controller label on reconcile metrics).",
      ),
    )

    .withRow(new RowBuilder("Reconciles"))
    .withPanel(
      timeseries({
        title: "Reconcile rate by result",
        description:
          "Reconciles per second by result: success, error, requeue (asked to run again) and requeue_after (scheduled to run again). Only the leader reconciles.",
        unit: "ops",
        min: 0,
        width: 6,
        targets: [
          query(
            `sum by (controller, result) (rate(controller_runtime_reconcile_total{${CTRL}}[$__rate_interval]))`,
            "{{controller}} {{result}}",
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Reconcile error ratio",
        description:
          "Share of reconciles that returned an error. Errors are retried with backoff; a sustained ratio fires GreeterOperatorReconcileErrors.",
        unit: "percentunit",
        min: 0,
        width: 6,
        targets: [
          query(
            // An operator that does not pre-set the errors counter (ours and controller-runtime's do) has no series
            // before its first error: "or … * 0" shows a healthy 0, not "No data".
            `(sum by (controller) (rate(controller_runtime_reconcile_errors_total{${CTRL}}[$__rate_interval])) or sum by (controller) (rate(controller_runtime_reconcile_total{${CTRL}}[$__rate_interval])) * 0) / sum by (controller) (rate(controller_runtime_reconcile_total{${CTRL}}[$__rate_interval]))`,
            "{{controller}}",
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Reconcile latency p50 / p99",
        description:
          "How long one reconcile takes, from controller_runtime_reconcile_time_seconds. Slow reconciles usually mean a slow API server (see API requests).",
        unit: "s",
        min: 0,
        width: 6,
        targets: [
          query(
            quantile("0.5", "controller_runtime_reconcile_time_seconds", "controller", CTRL),
            "{{controller}} p50",
          ),
          query(
            quantile("0.99", "controller_runtime_reconcile_time_seconds", "controller", CTRL),
            "{{controller}} p99",
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Active workers vs maximum",
        description:
          "Reconciles running now against the configured worker count. Pinned at the maximum means the queue outpaces the workers.",
        unit: "short",
        min: 0,
        width: 6,
        targets: [
          query(`sum by (controller) (controller_runtime_active_workers{${CTRL}})`, "{{controller}} active"),
          query(
            `max by (controller) (controller_runtime_max_concurrent_reconciles{${CTRL}})`,
            "{{controller}} max",
          ),
        ],
      }),
    )

    .withRow(new RowBuilder("Work queue"))
    .withPanel(
      timeseries({
        title: "Work queue depth",
        description: "Keys waiting for a worker. It should drain to zero between bursts of changes.",
        unit: "short",
        min: 0,
        width: 8,
        targets: [query(`sum by (name) (workqueue_depth{${SEL}})`, "{{name}}")],
      }),
    )
    .withPanel(
      timeseries({
        title: "Work queue adds and retries",
        description:
          "Keys added per second (watch events, resyncs, requeues) and, of those, retries after an error (rate-limited with backoff).",
        unit: "ops",
        min: 0,
        width: 8,
        targets: [
          query(`sum by (name) (rate(workqueue_adds_total{${SEL}}[$__rate_interval]))`, "{{name}} adds"),
          query(
            // No retries series exists before the first retry: read 0, not "No data".
            `sum by (name) (rate(workqueue_retries_total{${SEL}}[$__rate_interval])) or sum by (name) (rate(workqueue_adds_total{${SEL}}[$__rate_interval])) * 0`,
            "{{name}} retries",
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Queue wait and work duration p99",
        description:
          "99th percentile of how long a key waits in the queue before a worker takes it, and of how long the work then takes.",
        unit: "s",
        min: 0,
        width: 8,
        targets: [
          query(quantile("0.99", "workqueue_queue_duration_seconds", "name"), "{{name}} queue wait p99"),
          query(quantile("0.99", "workqueue_work_duration_seconds", "name"), "{{name}} work p99"),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Unfinished work and longest-running processor",
        description:
          "Seconds of work in progress not yet finished, summed over workers, and the age of the oldest reconcile still running. Growing without bound means a stuck reconcile.",
        unit: "s",
        min: 0,
        targets: [
          query(`sum by (name) (workqueue_unfinished_work_seconds{${SEL}})`, "{{name}} unfinished"),
          query(
            `max by (name) (workqueue_longest_running_processor_seconds{${SEL}})`,
            "{{name}} longest running",
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "API requests by code",
        description:
          "Requests per second to the Kubernetes API server by HTTP code and method. An idle operator sends no mutating requests (POST, PUT, PATCH, DELETE); 4xx/5xx here explain reconcile errors.",
        unit: "reqps",
        min: 0,
        targets: [
          query(
            `sum by (code, method) (rate(rest_client_requests_total{${SEL}}[$__rate_interval]))`,
            "{{method}} {{code}}",
          ),
        ],
      }),
    )

    .withRow(new RowBuilder("Leadership, watches and Greeters"))
    .withPanel(leaderPanel())
    .withPanel(
      timeseries({
        title: "Greeters by condition",
        description:
          "Greeters whose Ready, Progressing, Degraded or MonitoringReady condition is True, as the operator last saw them. `kubectl get greeters -A` names them.",
        unit: "short",
        min: 0,
        targets: [query(`max by (condition) (greeter_operator_greeters{${SEL}})`, "{{condition}}")],
      }),
    )
    .withPanel(
      timeseries({
        title: "Watch restarts",
        description:
          "Watches the operator restarted, by resource and reason (error, silence past the timeout, 410 Gone → relist). Occasional restarts are normal; a steady stream points at the API server or the network.",
        unit: "short",
        min: 0,
        targets: [
          query(
            // No series exists before the first restart; the watched resources then read 0 rather than "No data".
            `sum by (resource, reason) (increase(greeter_operator_watch_restarts_total{${SEL}}[$__rate_interval])) or label_replace(sum by (resource) (greeter_operator_watch_last_event_age_seconds{${SEL}}) * 0, "reason", "none", "", "")`,
            "{{resource}} {{reason}}",
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Watch freshness",
        description:
          "Seconds since each watch last delivered an event or bookmark, per pod. A watch that goes silent past its timeout is restarted; an ever-growing age means changes are being missed.",
        unit: "s",
        min: 0,
        targets: [
          query(
            `max by (pod, resource) (greeter_operator_watch_last_event_age_seconds{${SEL}})`,
            "{{pod}} {{resource}}",
          ),
        ],
      }),
    )

    .withRow(new RowBuilder("Process"))
    .withPanel(cpuPanel({ sel: SEL, of: OPERATOR_PODS, width: 8 }))
    .withPanel(residentMemoryPanel({ sel: SEL, of: OPERATOR_PODS, width: 8, process: "operator" }))
    .withPanel(
      heapPanel({
        sel: SEL,
        of: OPERATOR_PODS,
        width: 8,
        why: "The informer caches live here, so it scales with the number of Greeters and children.",
      }),
    )
    .withPanel(
      eventLoopLagPanel({
        sel: SEL,
        of: OPERATOR_PODS,
        width: 12,
        why: "High lag delays watch handling, lease renewal and probes.",
      }),
    )
    .withPanel(
      timeseries({
        title: "Process restarts per pod",
        description:
          "Times the operator process restarted inside its pod (its start time changed). Restarts that repeat mean a crash loop: check the pod's previous logs.",
        unit: "short",
        min: 0,
        targets: [
          query(
            `sum by (pod) (${ofPods(`changes(process_start_time_seconds{${SEL}}[$__rate_interval])`, OPERATOR_PODS)})`,
            "{{pod}}",
          ),
        ],
      }),
    );
  return numberPanels(builder.build());
}
