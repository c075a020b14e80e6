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
