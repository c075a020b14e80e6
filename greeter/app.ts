/**
 * Builds the greeter's two request listeners from its configuration and dependencies, without listening, so
 * tests and main.ts serve the same ones. The public listener: POST /echo-name, GET /healthz, GET /readyz. The
 * metrics listener, on its own port: GET /metrics only, so a NodePort or LoadBalancer Service in front of the
 * public port never exposes process metrics. On both, every other path is a 404 problem, and every error
 * leaves through one function as a problem document.
 *
 * Both are Express apps, with one shortcut: a POST to exactly /echo-name, the request the greeter exists for,
 * goes straight to its handler, skipping Express's per-request setup and router, which cost about a fifth of
 * a greeting's CPU (docs/greeter.md#performance). Every other request, including other spellings of that path
 * (a query, a trailing slash, capitals) and other methods on it, goes through Express to the same handler,
 * with the same instrumentation and the same error answers.
 */
import type { RequestListener, ServerResponse } from "node:http";
import express, { type ErrorRequestHandler, type Express } from "express";
import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { instrument, type Track } from "./instrument.ts";
import type { GreeterMetrics } from "./metrics.ts";
import { sendProblem, toProblem } from "./problem.ts";
import { REQUEST_ID_HEADER } from "./request-id.ts";
import { ECHO_NAME_PATH, echoName } from "./routes/echo-name.ts";
import { methodNotAllowed } from "./routes/method-not-allowed.ts";
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

export function createApp(config: Config, deps: AppDeps): RequestListener {
  const track = instrument(deps);
  const fail = answerError(deps.log);
  const greet = echoName(config, deps);
  const app = baseApp(track);
  app
    .route(ECHO_NAME_PATH)
    .post((req, res, next) => greet(req, res, next))
    .all(methodNotAllowed(["POST"]));
  registerProbes(app, deps.isReady);
  withErrorHandlers(app, fail, NOT_FOUND_DETAIL);
  return (req, res) => {
    if (req.method === "POST" && req.url === ECHO_NAME_PATH) {
      track(req, res, ECHO_NAME_PATH);
      const failThis = (err: unknown) => fail(err, res);
      try {
        greet(req, res, failThis);
      } catch (err) {
        failThis(err);
      }
      return;
    }
    app(req, res);
  };
}

/** The metrics listener's app. Scrapes are instrumented like any request (route "/metrics"). */
export function createMetricsApp(deps: AppDeps): RequestListener {
  const app = baseApp(instrument(deps));
  registerMetrics(app, deps.metrics.registry);
  return withErrorHandlers(app, answerError(deps.log), METRICS_NOT_FOUND_DETAIL);
}

function baseApp(track: Track): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  // Express's fallback handler (reached only if our own error handler failed) prints stack traces
  // unless env is production; never let it, whatever NODE_ENV says.
  app.set("env", "production");
  app.use((req, res, next) => {
    track(req, res);
    next();
  });
  return app;
}

/** Answers any error as its problem document; an unexpected one (5xx) is logged with its request id. */
function answerError(log: Logger) {
  return (err: unknown, res: ServerResponse) => {
    const { status, detail, headers } = toProblem(err);
    if (status >= 500) log.error({ err, requestId: res.getHeader(REQUEST_ID_HEADER) }, "unexpected error");
    sendProblem(res, status, detail, headers);
  };
}

function withErrorHandlers(
  app: Express,
  fail: (err: unknown, res: ServerResponse) => void,
  notFoundDetail: string,
): Express {
  app.use((_req, res) => {
    sendProblem(res, 404, notFoundDetail);
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => fail(err, res);
  app.use(onError);
  return app;
}
