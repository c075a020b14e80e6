/**
 * Reads the small body of POST /echo-name: a JSON object or array, or a form as a null-prototype record (a
 * field sent twice becomes an array). Written against node:http alone, so the route serves the same bodies
 * whether Express dispatched the request or the listener did (app.ts). It does what express.json() and
 * express.urlencoded() would for this one route, measured at about a tenth of a request's CPU less: no
 * charset conversion library, no per-request content-type re-parsing, no debug hooks.
 *
 * Rules, each answered as a problem (HttpProblem) like body-parser's errors would be:
 * - no body (no Content-Length, or 0, and no Transfer-Encoding): nothing to read, the body is undefined;
 * - a type other than JSON or a form, or none: 415 with `Accept-Post`;
 * - a charset other than UTF-8, or any Content-Encoding but identity: 415;
 * - more than `limitBytes` (declared or streamed): 413; a form with more than `maxFields` fields: 413;
 * - JSON that does not parse, or whose top level is not an object or array: 400.
 * After an error the rest of the body is read and dropped before answering, as body-parser does, so the
 * connection stays usable and the client is not reset mid-upload.
 */
import type { IncomingMessage } from "node:http";
import { HttpProblem } from "./problem.ts";

export const JSON_TYPE = "application/json";
export const FORM_TYPE = "application/x-www-form-urlencoded";

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/** The media type and charset of a Content-Type header, lower-cased. */
function mediaType(header: string | undefined): { type: string; charset: string | undefined } {
  if (header === undefined) return { type: "", charset: undefined };
  const semicolon = header.indexOf(";");
  if (semicolon === -1) return { type: header.trim().toLowerCase(), charset: undefined };
  let charset: string | undefined;
  for (const param of header.slice(semicolon + 1).split(";")) {
    const eq = param.indexOf("=");
    if (eq !== -1 && param.slice(0, eq).trim().toLowerCase() === "charset") {
      charset = param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1")
        .toLowerCase();
    }
  }
  return { type: header.slice(0, semicolon).trim().toLowerCase(), charset };
}

function parseJson(text: string): unknown {
  // trimStart() returns the string itself when nothing leads it, so this allocates nothing on the hot path.
  const first = text.trimStart().charAt(0);
  // Strict like express.json(): a bare string or number is not a request body. Empty means {}.
  if (first === "") return {};
  if (first !== "{" && first !== "[") throw new HttpProblem(400, "The request body is not valid JSON.");
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem(400, "The request body is not valid JSON.");
  }
}

function parseForm(text: string, maxFields: number): Record<string, string | string[]> {
  const form: Record<string, string | string[]> = Object.create(null);
  let fields = 0;
  for (const [key, value] of new URLSearchParams(text)) {
    if (++fields > maxFields) throw new HttpProblem(413, "The form has too many fields.");
    const previous = form[key];
    form[key] =
      previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return form;
}

/** Checks what can be checked from the headers alone; returns the problem, or the body's type. */
function checkHeaders(req: IncomingMessage, limitBytes: number): HttpProblem | string {
  const { type, charset } = mediaType(req.headers["content-type"]);
  if (type !== JSON_TYPE && type !== FORM_TYPE) {
    const what = type ? `The content type "${type.slice(0, 100)}" is` : "A body without a content type is";
    return new HttpProblem(415, `${what} not supported; send ${JSON_TYPE} or ${FORM_TYPE}.`, {
      "accept-post": `${JSON_TYPE}, ${FORM_TYPE}`,
    });
  }
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    return new HttpProblem(415, `The charset "${charset.slice(0, 40)}" is not supported; send UTF-8.`);
  }
  const encoding = req.headers["content-encoding"]?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== "identity") {
    return new HttpProblem(
      415,
      `The content encoding "${encoding.slice(0, 40)}" is not supported; send the body uncompressed.`,
    );
  }
  if (Number(req.headers["content-length"] ?? 0) > limitBytes) return tooLarge(limitBytes);
  return type;
}

const tooLarge = (limitBytes: number) =>
  new HttpProblem(413, `The request body is larger than the limit of ${limitBytes} bytes.`);

export type BodyOptions = { limitBytes: number; maxFields: number };

/** Calls `done` once: with the problem to answer, or with the parsed body (undefined when there is none). */
export function readBody(
  req: IncomingMessage,
  options: BodyOptions,
  done: (err: unknown, body?: unknown) => void,
): void {
  const { limitBytes, maxFields } = options;
  if (!hasBody(req)) {
    done(undefined, undefined);
    return;
  }
  const checked = checkHeaders(req, limitBytes);
  let finished = false;
  const finish = (err: unknown, body?: unknown) => {
    if (finished) return;
    finished = true;
    req.off("data", onData);
    req.off("end", onEnd);
    done(err, body);
  };
  // Read and drop the rest of the body, then answer.
  const reject = (problem: HttpProblem) => {
    req.off("data", onData);
    req.off("end", onEnd);
    if (req.readableEnded) finish(problem);
    else req.once("end", () => finish(problem)).resume();
  };
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limitBytes) reject(tooLarge(limitBytes));
    else chunks.push(chunk);
  };
  const onEnd = () => {
    let body: unknown;
    try {
      const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString("utf8");
      body = checked === JSON_TYPE ? parseJson(text) : parseForm(text, maxFields);
    } catch (err) {
      return finish(err);
    }
    finish(undefined, body);
  };
  // The client went away mid-body: nobody is left to answer, but the pipeline must still end.
  req.once("error", () =>
    finish(new HttpProblem(400, "The request was aborted before its body was complete.")),
  );
  if (typeof checked !== "string") {
    reject(checked);
    return;
  }
  req.on("data", onData);
  req.on("end", onEnd);
}
