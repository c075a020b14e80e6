/**
 * The first step of every request, on either path of app.ts: assigns the request id (echoed in
 * `x-request-id`, where problem.ts reads it back), counts the request in flight, and when the response is done
 * records its metrics and writes one access-log line.
 * One listener, no per-request child logger and the access log's own writer (access-log.ts) keep this cheap.
 * The log line carries route, status and duration, never the URL, whose query may hold a name. Probe and
 * scrape requests log at debug, so kubelet and Prometheus do not flood the info log.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { accessLog } from "./access-log.ts";
import { type GreeterMetrics, methodLabel, UNMATCHED_ROUTE } from "./metrics.ts";
import { REQUEST_ID_HEADER, requestIdFor } from "./request-id.ts";

const QUIET_ROUTES = new Set(["/healthz", "/readyz", "/metrics"]);

/** Express sets `route` on the request once a route matched. */
type RoutedRequest = IncomingMessage & { route?: { path: string } };

/**
 * Starts tracking a request. `route` is the route template when the caller already knows it; otherwise it is
 * read from Express's matched route when the response closes.
 */
export type Track = (req: RoutedRequest, res: ServerResponse, route?: string) => void;

export function instrument(deps: { log: Logger; metrics: GreeterMetrics; isReady: () => boolean }): Track {
  const { log, metrics } = deps;
  const access = accessLog(log);
  return (req, res, knownRoute) => {
    const start = performance.now();
    const requestId = requestIdFor(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.setHeader("x-content-type-options", "nosniff");
    // While draining, close each connection after its response so keep-alive clients reconnect elsewhere.
    if (!deps.isReady()) res.setHeader("connection", "close");
    metrics.requestsInFlight.inc();
    // `on`, not `once`: a response closes once, and once() wraps every listener in a closure of its own.
    res.on("close", () => {
      metrics.requestsInFlight.dec();
      const route: string = knownRoute ?? req.route?.path ?? UNMATCHED_ROUTE;
      const method = methodLabel(req.method);
      const durationMs = performance.now() - start;
      if (!res.writableFinished) {
        log.info({ requestId, method, route, durationMs }, "request aborted by the client");
        return;
      }
      const statusCode = res.statusCode;
      metrics.observeRequest(method, route, statusCode, durationMs / 1000);
      if (statusCode >= 500)
        log.error({ requestId, method, route, statusCode, durationMs }, "request failed");
      else
        access(statusCode < 400 && QUIET_ROUTES.has(route) ? "debug" : "info", {
          requestId,
          method,
          route,
          statusCode,
          durationMs,
        });
    });
  };
}
