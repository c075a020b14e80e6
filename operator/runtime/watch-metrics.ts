/**
 * WatchMetrics exposes watch health: <prefix>_watch_restarts_total{resource,reason} and
 * <prefix>_watch_last_event_age_seconds{resource}, the age of the stalest watch of that resource. The prefix
 * names the operator (client-go has no such metrics, so there is no standard name to borrow).
 */
import { Counter, Gauge, type Registry } from "prom-client";

export type RestartReason = "closed" | "stalled" | "gone" | "error" | "absent";

export interface WatchMetrics {
  restarted(resource: string, reason: RestartReason): void;
  /** Registers a watch's age source; returns a function that unregisters it. */
  track(resource: string, ageSeconds: () => number): () => void;
}

export function createWatchMetrics(registry: Registry, prefix: string): WatchMetrics {
  const sources = new Map<string, Set<() => number>>();
  const restarts = new Counter({
    name: `${prefix}_watch_restarts_total`,
    help: "Watch restarts by resource and reason (closed by server, stalled, gone/410, error, absent resource).",
    labelNames: ["resource", "reason"] as const,
    registers: [registry],
  });
  new Gauge({
    name: `${prefix}_watch_last_event_age_seconds`,
    help: "Seconds since the stalest watch of a resource last proved alive (event, bookmark or reconnect).",
    labelNames: ["resource"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [resource, fns] of sources) {
        if (fns.size > 0) this.set({ resource }, Math.max(...[...fns].map((f) => f())));
      }
    },
  });
  return {
    restarted: (resource, reason) => restarts.inc({ resource, reason }),
    track(resource, ageSeconds) {
      const set = sources.get(resource) ?? new Set();
      sources.set(resource, set);
      set.add(ageSeconds);
      return () => set.delete(ageSeconds);
    },
  };
}

export const noWatchMetrics: WatchMetrics = { restarted() {}, track: () => () => {} };
