/**
 * POST /echo-name: reads a name from a JSON body, a form body or the `name` query parameter (in that
 * order), validates it and answers the configured greeting as JSON, or as text/plain when the client
 * prefers it. The hot path writes the response directly instead of res.json(), skipping Express's ETag
 * hashing and freshness checks, which a POST answer never needs; read-body.ts reads the body.
 */
import type { Express, Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { compileGreeting } from "../greeting.ts";
import type { GreeterMetrics } from "../metrics.ts";
import { nameSchema } from "../name.ts";
import { sendProblem } from "../problem.ts";
import { JSON_TYPE, readBody } from "../read-body.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";

/** A form sends one field per input; 20 is plenty for a name and keeps parsing bounded. */
const MAX_FORM_FIELDS = 20;

function nameFrom(req: Request): unknown {
  const body: unknown = req.body;
  if (typeof body === "object" && body !== null && !Array.isArray(body) && Object.hasOwn(body, "name")) {
    return (body as { name: unknown }).name;
  }
  return req.query.name;
}

function prefersText(req: Request): boolean {
  const accept = req.headers.accept;
  if (accept === undefined || accept === "*/*" || accept === JSON_TYPE) return false;
  return req.accepts([JSON_TYPE, "text/plain"]) === "text/plain";
}

function send(res: Response, contentType: string, body: string) {
  res.statusCode = 200;
  res.setHeader("content-type", contentType);
  res.setHeader("content-length", Buffer.byteLength(body));
  res.setHeader("vary", "Accept");
  res.end(body);
}

export function registerEchoName(
  app: Express,
  config: Config,
  deps: { log: Logger; metrics: GreeterMetrics },
) {
  const schema = nameSchema(config.nameMaxLength);
  const greet = compileGreeting(config.greeting);
  const handler: RequestHandler = (req, res) => {
    const parsed = schema.safeParse(nameFrom(req));
    if (!parsed.success) {
      sendProblem(res, 400, parsed.error.issues[0]?.message ?? "The name is invalid.");
      return;
    }
    const message = greet(parsed.data);
    deps.metrics.greetingsTotal.inc();
    // The name is personal data: only at debug, never at info.
    deps.log.debug({ requestId: res.locals.requestId, name: parsed.data }, "greeted");
    if (prefersText(req)) send(res, "text/plain; charset=utf-8", message);
    else send(res, "application/json; charset=utf-8", JSON.stringify({ message }));
  };
  app
    .route("/echo-name")
    .post(readBody({ limitBytes: config.bodyLimitBytes, maxFields: MAX_FORM_FIELDS }), handler)
    .all(methodNotAllowed(["POST"]));
}
