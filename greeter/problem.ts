/**
 * RFC 9457 problem details: every error the greeter answers is `application/problem+json` with
 * `type: "about:blank"`, the status's reason phrase as `title`, a readable `detail` and the `requestId`.
 * Errors from anywhere (body reading, handlers, Express, bugs) are mapped here; an unexpected error becomes a plain
 * 500 whose detail says nothing about the cause, so no stack trace or internal message reaches a client.
 */
import type { ServerResponse } from "node:http";
import { REQUEST_ID_HEADER } from "./request-id.ts";

// Not `import ... from "node:http"`: a static import builds http's whole ESM namespace, which evaluates its
// lazy exports and loads Node's bundled undici, several MiB of RSS the greeter never uses.
const { STATUS_CODES } = process.getBuiltinModule("node:http");

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export type Problem = {
  type: "about:blank";
  title: string;
  status: number;
  detail: string;
  requestId?: string;
};

/** An error that carries the status and client-facing detail of the problem it should become. */
export class HttpProblem extends Error {
  override name = "HttpProblem";
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, detail: string, headers: Record<string, string> = {}) {
    super(detail);
    this.status = status;
    this.headers = headers;
  }
}

export function problem(status: number, detail: string, requestId?: string): Problem {
  return {
    type: "about:blank",
    title: STATUS_CODES[status] ?? "Error",
    status,
    detail,
    ...(requestId === undefined ? {} : { requestId }),
  };
}

/** Answers `res` with a problem document; its requestId is the one instrument.ts put in the response headers. */
export function sendProblem(
  res: ServerResponse,
  status: number,
  detail: string,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) {
    // Too late for a problem document; cut the connection so the client sees a failure, not a short body.
    res.destroy();
    return;
  }
  const requestId = res.getHeader(REQUEST_ID_HEADER);
  const body = JSON.stringify(problem(status, detail, typeof requestId === "string" ? requestId : undefined));
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader("content-type", PROBLEM_CONTENT_TYPE);
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}

type HttpError = Error & { status?: number; statusCode?: number; expose?: boolean };

/** Maps any thrown value to the status, detail and extra headers of the problem to send. */
export function toProblem(err: unknown): { status: number; detail: string; headers: Record<string, string> } {
  if (err instanceof HttpProblem)
    return { status: err.status, detail: err.message, headers: { ...err.headers } };
  // Errors from Express itself (http-errors, e.g. a malformed path) carry a status and say if it is safe to show.
  const e = (typeof err === "object" && err !== null ? err : {}) as HttpError;
  const status = e.status ?? e.statusCode;
  if (e.expose === true && typeof status === "number" && status >= 400 && status < 500) {
    return { status, detail: STATUS_CODES[status] ?? "Bad request.", headers: {} };
  }
  return { status: 500, detail: "The server failed to answer this request.", headers: {} };
}
