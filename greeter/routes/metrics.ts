/** GET /metrics: the Prometheus text exposition of the greeter's own registry. */
import type { Express } from "express";
import type { Registry } from "prom-client";
import { methodNotAllowed } from "./method-not-allowed.ts";

export function registerMetrics(app: Express, registry: Registry) {
  app
    .route("/metrics")
    .get(async (_req, res) => {
      const body = await registry.metrics();
      res.setHeader("content-type", registry.contentType);
      res.setHeader("cache-control", "no-store");
      res.end(body);
    })
    .all(methodNotAllowed(["GET", "HEAD"]));
}
