/**
 * RestClientMetrics counts every request sent to the API server, with client-go's metric names:
 * rest_client_requests_total{code,method} and rest_client_request_duration_seconds{method}. A request
 * that fails before an HTTP answer is counted with code "<error>", as client-go does.
 */
import { Counter, Histogram, type Registry } from "prom-client";

export interface RestClientMetrics {
  observe(method: string, code: string, seconds: number): void;
}

export function createRestClientMetrics(registry: Registry): RestClientMetrics {
  const requests = new Counter({
    name: "rest_client_requests_total",
    help: "Number of HTTP requests to the API server, partitioned by status code and method.",
    labelNames: ["code", "method"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "rest_client_request_duration_seconds",
    help: "Time until the API server answered (response headers for watches), by method.",
    labelNames: ["method"] as const,
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers: [registry],
  });
  return {
    observe(method, code, seconds) {
      requests.inc({ code, method });
      duration.observe({ method }, seconds);
    },
  };
}

export const noRestClientMetrics: RestClientMetrics = { observe() {} };
