/**
 * POST /echo-name: reads a name from a JSON body, a form body or the `name` query parameter (in that
 * order), validates it and answers the configured greeting as JSON, or as text/plain when the client
 * prefers it. Written against node:http alone, so app.ts can serve it without Express's router on the hot
 * path and through Express for every other spelling of the path; either way it is this one handler. It writes
 * the response directly instead of res.json(), skipping ETag hashing and freshness checks, which a POST answer
 * never needs.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import accepts from "accepts";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { compileGreeting } from "../greeting.ts";
import type { GreeterMetrics } from "../metrics.ts";
import { nameSchema } from "../name.ts";
import { sendProblem } from "../problem.ts";
import { JSON_TYPE, readBody } from "../read-body.ts";
import { REQUEST_ID_HEADER } from "../request-id.ts";

export const ECHO_NAME_PATH = "/echo-name";

/** A form sends one field per input; 20 is plenty for a name and keeps parsing bounded. */
const MAX_FORM_FIELDS = 20;

/** Handles one request; `fail` gets any error (a problem from the body, or a bug) to answer it. */
export type EchoName = (req: IncomingMessage, res: ServerResponse, fail: (err: unknown) => void) => void;

/** The query's `name` as Express's default ("simple") query parser gives it: a repeated name is an array. */
function queryName(url: string | undefined): unknown {
  const q = url?.indexOf("?") ?? -1;
  return q === -1 ? undefined : parseQuery((url as string).slice(q + 1)).name;
}

function nameFrom(body: unknown, req: IncomingMessage): unknown {
  if (typeof body === "object" && body !== null && !Array.isArray(body) && Object.hasOwn(body, "name")) {
    return (body as { name: unknown }).name;
  }
  return queryName(req.url);
}

function prefersText(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (accept === undefined || accept === "*/*" || accept === JSON_TYPE) return false;
  return accepts(req).type([JSON_TYPE, "text/plain"]) === "text/plain";
}

// No Content-Length: res.end(body) on a response whose headers are not yet sent measures the body and sends it.
function send(res: ServerResponse, contentType: string, body: string) {
  res.statusCode = 200;
  res.setHeader("content-type", contentType);
  res.setHeader("vary", "Accept");
  res.end(body);
}

export function echoName(config: Config, deps: { log: Logger; metrics: GreeterMetrics }): EchoName {
  const schema = nameSchema(config.nameMaxLength);
  const greet = compileGreeting(config.greeting);
  const bodyOptions = { limitBytes: config.bodyLimitBytes, maxFields: MAX_FORM_FIELDS };
  const answer = (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    const parsed = schema.safeParse(nameFrom(body, req));
    if (!parsed.success) {
      sendProblem(res, 400, parsed.error.issues[0]?.message ?? "The name is invalid.");
      return;
    }
    const message = greet(parsed.data);
    deps.metrics.greetingsTotal.inc();
    // The name is personal data: only at debug, never at info.
    deps.log.debug({ requestId: res.getHeader(REQUEST_ID_HEADER), name: parsed.data }, "greeted");
    if (prefersText(req)) send(res, "text/plain; charset=utf-8", message);
    else send(res, "application/json; charset=utf-8", JSON.stringify({ message }));
  };
  return (req, res, fail) => {
    readBody(req, bodyOptions, (err, body) => {
      if (err !== undefined) return fail(err);
      // Called from the body's "end" event, out of reach of any router's try/catch.
      try {
        answer(req, res, body);
      } catch (thrown) {
        fail(thrown);
      }
    });
  };
}
