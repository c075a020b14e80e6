/**
 * POST /echo-name: reads a name from a JSON body, a form body or the `name` query parameter (in that
 * order), validates it and answers the configured greeting as JSON, or as text/plain when the client
 * prefers it. The hot path writes the response directly instead of res.json(), skipping Express's ETag
 * hashing and freshness checks, which a POST answer never needs.
 */
import express, { type Express, type Request, type RequestHandler, type Response } from "express";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { compileGreeting } from "../greeting.ts";
import type { GreeterMetrics } from "../metrics.ts";
import { nameSchema } from "../name.ts";
import { sendProblem } from "../problem.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";

const JSON_TYPE = "application/json";
const FORM_TYPE = "application/x-www-form-urlencoded";

function hasBody(req: Request): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * Picks the body parser by content type, or answers 415: one middleware instead of a 415 check plus two
 * parsers that would each inspect the content type again.
 */
function parseBody(json: RequestHandler, form: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (!hasBody(req)) return next();
    const header = req.headers["content-type"];
    const type = header?.split(";", 1)[0]?.trim().toLowerCase();
    if (type === JSON_TYPE) return json(req, res, next);
    if (type === FORM_TYPE) return form(req, res, next);
    const what = type ? `The content type "${type.slice(0, 100)}" is` : "A body without a content type is";
    sendProblem(res, 415, `${what} not supported; send ${JSON_TYPE} or ${FORM_TYPE}.`, {
      "accept-post": `${JSON_TYPE}, ${FORM_TYPE}`,
    });
  };
}

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
  const parserOptions = { limit: config.bodyLimitBytes, inflate: false };
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
    .post(
      parseBody(
        express.json({ ...parserOptions, strict: true, type: JSON_TYPE }),
        express.urlencoded({ ...parserOptions, extended: false, parameterLimit: 20, type: FORM_TYPE }),
      ),
      handler,
    )
    .all(methodNotAllowed(["POST"]));
}
