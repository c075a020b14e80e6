/**
 * ApiError is a non-2xx answer from the API server, carrying the HTTP code and the Status reason
 * ("NotFound", "Conflict", "Gone", ...) so callers branch on those, never on message text.
 */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: unknown;

  constructor(code: number, reason: string, message: string, status?: unknown) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.reason = reason;
    this.status = status;
  }

  static fromStatus(code: number, body: unknown, fallback: string): ApiError {
    const s = (typeof body === "object" && body !== null ? body : {}) as {
      reason?: unknown;
      message?: unknown;
    };
    const reason = typeof s.reason === "string" && s.reason !== "" ? s.reason : `HTTP${code}`;
    const message = typeof s.message === "string" && s.message !== "" ? s.message : fallback;
    return new ApiError(code, reason, `${code} ${reason}: ${message}`, body);
  }
}

export function isApiError(err: unknown, code?: number): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.code === code);
}

/**
 * The API server refused to create something because its namespace is being deleted (403 with the
 * NamespaceTerminating cause). Nothing new can be created there again, so retrying is pointless.
 */
export function isNamespaceTerminating(err: unknown): boolean {
  if (!isApiError(err, 403)) return false;
  const details = (err.status as { details?: { causes?: unknown } } | undefined)?.details;
  return (
    Array.isArray(details?.causes) &&
    details.causes.some((c: { reason?: unknown }) => c?.reason === "NamespaceTerminating")
  );
}

/**
 * The API server answered 404 because the object's namespace does not exist (Status details name the
 * "namespaces" kind), not because the resource type is unknown. Nothing can be created there until the
 * namespace is made again, which arrives as a change to watch, so retrying on a timer is pointless.
 */
export function isNamespaceNotFound(err: unknown): boolean {
  if (!isApiError(err, 404)) return false;
  const details = (err.status as { details?: { kind?: unknown } } | undefined)?.details;
  return details?.kind === "namespaces";
}

/** Network-level failures of a request that say nothing about the request itself (undici and Node codes). */
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/**
 * A failure that says nothing about the request, and that the same request may well not meet again: throttling
 * (429), a server-side error or timeout (5xx, e.g. an admission webhook that timed out), a request timeout, or a
 * connection reset or refused.
 */
export function isTransient(err: unknown): boolean {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (e instanceof ApiError) return e.code === 429 || e.code === 408 || e.code >= 500;
    const { name, code, cause } = e as { name?: unknown; code?: unknown; cause?: unknown };
    if (name === "TimeoutError") return true;
    if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
    e = cause;
  }
  return false;
}
