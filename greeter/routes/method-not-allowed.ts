/**
 * The catch-all for a known path with a method it does not serve: 405 with `Allow`, or, for OPTIONS,
 * 204 with `Allow` (what a client asking "what may I do here?" expects).
 */
import type { RequestHandler } from "express";
import { sendProblem } from "../problem.ts";

export function methodNotAllowed(methods: readonly string[]): RequestHandler {
  const allow = [...methods, "OPTIONS"].join(", ");
  return (req, res) => {
    if (req.method === "OPTIONS") {
      res.setHeader("allow", allow);
      res.status(204).end();
      return;
    }
    sendProblem(res, 405, `${req.method} is not allowed here; use ${methods.join(" or ")}.`, { allow });
  };
}
