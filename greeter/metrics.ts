/**
 * The greeter's Prometheus metrics, on a registry of its own (never prom-client's global one), so tests and
 * several apps in one process do not share series. Label values are bounded by construction: `route` is a
 * route template or UNMATCHED_ROUTE, `method` one of the standard methods or "_OTHER", `status_code` an
 * HTTP status. Nothing a client types (a name, a path) ever becomes a label value.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The `route` label of every request that matched no route (scanners, typos): one series, not one per path. */
export const UNMATCHED_ROUTE = "<unmatched>";

/** 100 µs to 10 s: resolves the sub-millisecond answers of a healthy greeter and multi-second stalls. */
export const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const KNOWN_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
]);

/** Maps any request method onto a bounded set (OpenTelemetry's convention for unknown methods). */
export function methodLabel(method: string | undefined): string {
  return method !== undefined && KNOWN_METHODS.has(method) ? method : "_OTHER";
}

export type GreeterMetrics = {
  registry: Registry;
  requestsInFlight: Gauge;
  greetingsTotal: Counter;
  /** Records one finished request in http_requests_total and http_request_duration_seconds. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
};

export function createMetrics(options: { version: string }): GreeterMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ["method", "route", "status_code"] as const;
  const requestsTotal = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route template and status code.",
    labelNames,
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from receiving a request to finishing its response, by method, route template and status code.",
    labelNames,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const requestsInFlight = new Gauge({
    name: "http_requests_in_flight",
    help: "HTTP requests being served right now.",
    registers: [registry],
  });
  const greetingsTotal = new Counter({
    name: "greeter_greetings_total",
    help: "Greetings returned (successful POST /echo-name answers).",
    registers: [registry],
  });
  const buildInfo = new Gauge({
    name: "greeter_build_info",
    help: "Always 1; the version label says which greeter build is running.",
    labelNames: ["version"] as const,
    registers: [registry],
  });
  buildInfo.set({ version: options.version }, 1);

  return {
    registry,
    requestsInFlight,
    greetingsTotal,
    observeRequest(method, route, statusCode, seconds) {
      const labels = { method, route, status_code: statusCode };
      requestsTotal.inc(labels);
      requestDuration.observe(labels, seconds);
    },
  };
}
