/**
 * Per-pod health of a Node.js process from prom-client's default metrics, shared by both dashboards (the
 * greeter and the operator are both Node.js). `process` names it in descriptions; `why` says what the
 * number means for that process.
 *
 * `of` is a series every pod of this dashboard's process exports (greeter_build_info, say): each query keeps
 * only the pods it names. The variables' "All" is `.+`, which would otherwise match every Node.js process
 * the Prometheus scrapes, another app's or the other dashboard's.
 */
import { query, timeseries } from "./shared.ts";

type Options = { sel: string; width: number; of: string };

/** `expr` restricted to the pods that `of` names. */
export const ofPods = (expr: string, of: string) => `${expr} and on (namespace, job, pod) ${of}`;

export function cpuPanel({ sel, width, of }: Options) {
  return timeseries({
    title: "CPU per pod",
    description: "CPU time used per second of wall time; 100% is one full core.",
    unit: "percentunit",
    min: 0,
    width,
    targets: [
      query(
        `sum by (pod) (${ofPods(`rate(process_cpu_seconds_total{${sel}}[$__rate_interval])`, of)})`,
        "{{pod}}",
      ),
    ],
  });
}

export function residentMemoryPanel({ sel, width, of, process }: Options & { process: string }) {
  return timeseries({
    title: "Resident memory per pod",
    description: `Resident set size of the ${process} process: what counts against the container's memory limit.`,
    unit: "bytes",
    min: 0,
    width,
    targets: [query(`sum by (pod) (${ofPods(`process_resident_memory_bytes{${sel}}`, of)})`, "{{pod}}")],
  });
}

export function eventLoopLagPanel({ sel, width, of, why }: Options & { why: string }) {
  return timeseries({
    title: "Event-loop lag p99 per pod",
    description: `99th percentile delay of the Node.js event loop (prom-client's sampler). ${why}`,
    unit: "s",
    min: 0,
    width,
    targets: [query(`max by (pod) (${ofPods(`nodejs_eventloop_lag_p99_seconds{${sel}}`, of)})`, "{{pod}}")],
  });
}

export function heapPanel({ sel, width, of, why }: Options & { why?: string }) {
  return timeseries({
    title: "Heap per pod",
    description: `V8 heap used and its current size. Used heap that only grows across garbage collections is a leak.${why ? ` ${why}` : ""}`,
    unit: "bytes",
    min: 0,
    width,
    targets: [
      query(`sum by (pod) (${ofPods(`nodejs_heap_size_used_bytes{${sel}}`, of)})`, "{{pod}} used"),
      query(`sum by (pod) (${ofPods(`nodejs_heap_size_total_bytes{${sel}}`, of)})`, "{{pod}} total"),
    ],
  });
}
