/**
 * Kubernetes probes. /healthz (liveness) answers 200 while the process can serve at all; /readyz
 * (readiness) answers 503 from the moment shutdown begins, so endpoints stop sending new traffic while
 * in-flight requests finish.
 */
import type { Express, Response } from "express";
import { sendProblem } from "../problem.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";

const OK = JSON.stringify({ status: "ok" });
const READY = JSON.stringify({ status: "ready" });

function sendJson(res: Response, body: string) {
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("cache-control", "no-store");
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}

export function registerProbes(app: Express, isReady: () => boolean) {
  app
    .route("/healthz")
    .get((_req, res) => sendJson(res, OK))
    .all(methodNotAllowed(["GET", "HEAD"]));
  app
    .route("/readyz")
    .get((_req, res) => {
      if (isReady()) sendJson(res, READY);
      else sendProblem(res, 503, "The greeter is shutting down and takes no new traffic.");
    })
    .all(methodNotAllowed(["GET", "HEAD"]));
}
