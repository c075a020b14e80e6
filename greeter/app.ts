/**
 * Builds the greeter's two Express apps from its configuration and dependencies, without listening, so tests
 * and main.ts serve the same apps. The public app: POST /echo-name, GET /healthz, GET /readyz. The metrics
 * app, on its own port: GET /metrics only, so a NodePort or LoadBalancer Service in front of the public port
 * never exposes process metrics. On both, every other path is a 404 problem, and every error leaves through
 * one handler as a problem document.
 */
import express, { type ErrorRequestHandler, type Express } from "express";
import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { instrument } from "./instrument.ts";
import type { GreeterMetrics } from "./metrics.ts";
import { sendProblem, toProblem } from "./problem.ts";
import { registerEchoName } from "./routes/echo-name.ts";
import { registerMetrics } from "./routes/metrics.ts";
import { registerProbes } from "./routes/probes.ts";

const NOT_FOUND_DETAIL =
  "There is nothing at this path; the greeter serves POST /echo-name, GET /healthz and GET /readyz.";
const METRICS_NOT_FOUND_DETAIL = "There is nothing at this path; the metrics port serves GET /metrics only.";

export type AppDeps = {
  log: Logger;
  metrics: GreeterMetrics;
  /** False once shutdown has begun: /readyz fails and connections close after their response. */
  isReady: () => boolean;
};

export function createApp(config: Config, deps: AppDeps): Express {
  const app = baseApp(deps);
  registerEchoName(app, config, deps);
  registerProbes(app, deps.isReady);
  return withErrorHandlers(app, deps, NOT_FOUND_DETAIL);
}

/** The metrics listener's app. Scrapes are instrumented like any request (route "/metrics"). */
export function createMetricsApp(deps: AppDeps): Express {
  const app = baseApp(deps);
  registerMetrics(app, deps.metrics.registry);
  return withErrorHandlers(app, deps, METRICS_NOT_FOUND_DETAIL);
}

function baseApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  // Express's fallback handler (reached only if our own error handler failed) prints stack traces
  // unless env is production; never let it, whatever NODE_ENV says.
  app.set("env", "production");
  app.use(instrument(deps));
  return app;
}

function withErrorHandlers(app: Express, deps: AppDeps, notFoundDetail: string): Express {
  app.use((_req, res) => {
    sendProblem(res, 404, notFoundDetail);
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const { status, detail, headers } = toProblem(err);
    if (status >= 500) deps.log.error({ err, requestId: res.locals.requestId }, "unexpected error");
    sendProblem(res, status, detail, headers);
  };
  app.use(onError);
  return app;
}
