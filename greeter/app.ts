/**
 * Builds the greeter's Express app from its configuration and dependencies, without listening, so tests
 * and main.ts serve the same app. Routes: POST /echo-name, GET /healthz, GET /readyz, GET /metrics; every
 * other path is a 404 problem, and every error leaves through one handler as a problem document.
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
  "There is nothing at this path; the greeter serves POST /echo-name, GET /healthz, GET /readyz and GET /metrics.";

export type AppDeps = {
  log: Logger;
  metrics: GreeterMetrics;
  /** False once shutdown has begun: /readyz fails and connections close after their response. */
  isReady: () => boolean;
};

export function createApp(config: Config, deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  // Express's fallback handler (reached only if our own error handler failed) prints stack traces
  // unless env is production; never let it, whatever NODE_ENV says.
  app.set("env", "production");
  app.use(instrument(deps));
  registerEchoName(app, config, deps);
  registerProbes(app, deps.isReady);
  registerMetrics(app, deps.metrics.registry);
  app.use((_req, res) => {
    sendProblem(res, 404, NOT_FOUND_DETAIL);
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const { status, detail, headers } = toProblem(err);
    if (status >= 500) deps.log.error({ err, requestId: res.locals.requestId }, "unexpected error");
    sendProblem(res, status, detail, headers);
  };
  app.use(onError);
  return app;
}
