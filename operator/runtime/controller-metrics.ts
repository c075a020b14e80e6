/** ControllerMetrics uses controller-runtime's controller_runtime_* names and labels. */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

const RESULTS = ["success", "error", "requeue_after"] as const;
export type ReconcileResult = (typeof RESULTS)[number];

export interface ControllerMetrics {
  /** The controller starts with `workers` workers, none busy yet. */
  started(controller: string, workers: number): void;
  reconciled(controller: string, result: ReconcileResult, seconds: number, terminal: boolean): void;
  activeWorkers(controller: string, n: number): void;
}

export function createControllerMetrics(registry: Registry): ControllerMetrics {
  const total = new Counter({
    name: "controller_runtime_reconcile_total",
    help: "Total number of reconciliations per controller",
    labelNames: ["controller", "result"] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: "controller_runtime_reconcile_errors_total",
    help: "Total number of reconciliation errors per controller",
    labelNames: ["controller"] as const,
    registers: [registry],
  });
  const terminal = new Counter({
    name: "controller_runtime_terminal_reconcile_errors_total",
    help: "Total number of terminal reconciliation errors per controller",
    labelNames: ["controller"] as const,
    registers: [registry],
  });
  const time = new Histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Length of time per reconciliation per controller",
    labelNames: ["controller"] as const,
    buckets: [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25,
      1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
    ],
    registers: [registry],
  });
  const active = new Gauge({
    name: "controller_runtime_active_workers",
    help: "Number of currently used workers per controller",
    labelNames: ["controller"] as const,
    registers: [registry],
  });
  const max = new Gauge({
    name: "controller_runtime_max_concurrent_reconciles",
    help: "Maximum number of concurrent reconciles per controller",
    labelNames: ["controller"] as const,
    registers: [registry],
  });
  return {
    started(controller, workers) {
      max.set({ controller }, workers);
      active.set({ controller }, 0);
      // As controller-runtime does: every counter has a series from the start, so error rates and alerts
      // read 0 rather than "no data" until the first error.
      for (const result of RESULTS) total.inc({ controller, result }, 0);
      errors.inc({ controller }, 0);
      terminal.inc({ controller }, 0);
    },
    reconciled(controller, result, seconds, isTerminal) {
      total.inc({ controller, result });
      time.observe({ controller }, seconds);
      if (result === "error") errors.inc({ controller });
      if (isTerminal) terminal.inc({ controller });
    },
    activeWorkers: (controller, n) => active.set({ controller }, n),
  };
}

export const noControllerMetrics: ControllerMetrics = {
  started() {},
  reconciled() {},
  activeWorkers() {},
};
