/**
 * The operator's Prometheus registry: prom-client's default process metrics, every runtime metric
 * (rest_client_*, workqueue_*, controller_runtime_*, leader_election_*, watch health) and
 * greeter_operator_greeters{condition}, which counts Greeters by condition without naming any of them.
 */
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { type ControllerMetrics, createControllerMetrics } from "../runtime/controller-metrics.ts";
import { createLeaderElectionMetrics, type LeaderElectionMetrics } from "../runtime/leader-election.ts";
import { createRestClientMetrics, type RestClientMetrics } from "../runtime/rest-client-metrics.ts";
import { createWatchMetrics, type WatchMetrics } from "../runtime/watch-metrics.ts";
import { createWorkQueueMetrics, type WorkQueueMetrics } from "../runtime/workqueue-metrics.ts";

export interface OperatorMetrics {
  registry: Registry;
  rest: RestClientMetrics;
  watch: WatchMetrics;
  workQueue: WorkQueueMetrics;
  controller: ControllerMetrics;
  leaderElection: LeaderElectionMetrics;
  /** Sets the source of greeter_operator_greeters: Greeters whose condition (e.g. "Ready") is True, read at scrape. */
  countGreeters(source: () => Map<string, number>): void;
}

export function createOperatorMetrics(): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let source: () => Map<string, number> = () => new Map();
  new Gauge({
    name: "greeter_operator_greeters",
    help: "Greeters with the condition (Ready, Progressing, Degraded, MonitoringReady) True.",
    labelNames: ["condition"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [condition, n] of source()) this.set({ condition }, n);
    },
  });
  return {
    registry,
    rest: createRestClientMetrics(registry),
    watch: createWatchMetrics(registry, "greeter_operator"),
    workQueue: createWorkQueueMetrics(registry),
    controller: createControllerMetrics(registry),
    leaderElection: createLeaderElectionMetrics(registry),
    countGreeters(fn) {
      source = fn;
    },
  };
}
