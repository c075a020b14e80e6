/**
 * How the Greeter controller treats a failed write of a child. Only an answer that an edit of the Greeter must
 * fix ends the retries (`invalid`, a TerminalError); everything else is retried with the key's backoff, so the
 * Greeter recovers by itself once the cause goes away. A `transient` failure (throttling, a 5xx, a timeout, a
 * reset connection) is reported as Degraded/ApplyFailed with a Warning Event only once it has persisted for
 * TRANSIENT_REPORT_AFTER_MS: a blip of the API server or of a webhook must not turn healthy Greeters not Ready.
 */
import { type ApiError, isApiError, isTransient } from "../runtime/api-error.ts";
import type { ObjectKey } from "../runtime/resource.ts";

export type ApplyFailureKind = "transient" | "external" | "invalid" | "other";

/**
 * With the work queue's per-key backoff (5 ms doubling) the retries come about 10, 20 and 41 s after the first
 * failure, so a failure lasting past 30 s shows after about 41 s; shorter ones show nowhere but the logs.
 */
export const TRANSIENT_REPORT_AFTER_MS = 30_000;

export function classifyApplyFailure(err: unknown): ApplyFailureKind {
  if (isTransient(err)) return "transient";
  if (isApiError(err, 400) || isApiError(err, 422)) return heldByOthers(err) ? "external" : "invalid";
  return "other";
}

/**
 * A refusal whose every cause is a cluster resource someone else holds (a NodePort or a ClusterIP already
 * allocated, a quota used up): the spec is valid and may be applied as is once the resource is free. The API
 * server tells this only in its messages.
 */
function heldByOthers(err: ApiError): boolean {
  const causes = (err.status as { details?: { causes?: Array<{ message?: unknown }> } } | undefined)?.details
    ?.causes;
  const messages = causes?.length ? causes.map((c) => String(c.message ?? "")) : [err.message];
  return messages.every((m) => /already allocated|exceeded quota/i.test(m));
}

/** When each Greeter's current run of transient failures began; an entry lives until a reconcile succeeds. */
export class TransientFailures {
  readonly #since = new Map<ObjectKey, number>();

  /** Records a transient failure at `now`; true once the run of failures has lasted long enough to report. */
  persisted(key: ObjectKey, now: number): boolean {
    const since = this.#since.get(key) ?? now;
    this.#since.set(key, since);
    return now - since >= TRANSIENT_REPORT_AFTER_MS;
  }

  forget(key: ObjectKey): void {
    this.#since.delete(key);
  }
}
