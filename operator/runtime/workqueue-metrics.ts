/**
 * WorkQueueMetrics uses controller-runtime's workqueue_* names and labels ({name, controller}), so
 * community dashboards for controller-runtime operators work unchanged.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface QueueMetrics {
  added(): void;
  depth(n: number): void;
  queued(seconds: number): void;
  worked(seconds: number): void;
  retried(): void;
}

export interface InFlight {
  /** Start times (ms, Date.now clock) of the items being processed. */
  inFlightStarts(): Iterable<number>;
}

export interface WorkQueueMetrics {
  forQueue(name: string, inFlight: InFlight): { metrics: QueueMetrics; unregister(): void };
}

const buckets = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];

export function createWorkQueueMetrics(registry: Registry, now: () => number = Date.now): WorkQueueMetrics {
  const queues = new Map<string, InFlight>();
  const labelNames = ["name", "controller"] as const;
  const depth = new Gauge({
    name: "workqueue_depth",
    help: "Current depth of workqueue",
    labelNames,
    registers: [registry],
  });
  const adds = new Counter({
    name: "workqueue_adds_total",
    help: "Total number of adds handled by workqueue",
    labelNames,
    registers: [registry],
  });
  const retries = new Counter({
    name: "workqueue_retries_total",
    help: "Total number of retries handled by workqueue",
    labelNames,
    registers: [registry],
  });
  const queueDuration = new Histogram({
    name: "workqueue_queue_duration_seconds",
    help: "How long in seconds an item stays in workqueue before being requested",
    labelNames,
    buckets,
    registers: [registry],
  });
  const workDuration = new Histogram({
    name: "workqueue_work_duration_seconds",
    help: "How long in seconds processing an item from workqueue takes.",
    labelNames,
    buckets,
    registers: [registry],
  });
  const ages = (q: InFlight) => [...q.inFlightStarts()].map((start) => (now() - start) / 1000);
  new Gauge({
    name: "workqueue_unfinished_work_seconds",
    help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration.",
    labelNames,
    registers: [registry],
    collect() {
      for (const [name, q] of queues)
        this.set(
          { name, controller: name },
          ages(q).reduce((a, b) => a + b, 0),
        );
    },
  });
  new Gauge({
    name: "workqueue_longest_running_processor_seconds",
    help: "How many seconds has the longest running processor for workqueue been running.",
    labelNames,
    registers: [registry],
    collect() {
      for (const [name, q] of queues) this.set({ name, controller: name }, Math.max(0, ...ages(q)));
    },
  });
  return {
    forQueue(name, inFlight) {
      queues.set(name, inFlight);
      const labels = { name, controller: name };
      return {
        metrics: {
          added: () => adds.inc(labels),
          depth: (n) => depth.set(labels, n),
          queued: (s) => queueDuration.observe(labels, s),
          worked: (s) => workDuration.observe(labels, s),
          retried: () => retries.inc(labels),
        },
        unregister: () => queues.delete(name),
      };
    },
  };
}

export const noWorkQueueMetrics: WorkQueueMetrics = {
  forQueue: () => ({
    metrics: { added() {}, depth() {}, queued() {}, worked() {}, retried() {} },
    unregister() {},
  }),
};
