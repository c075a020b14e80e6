/**
 * DelegatedAuth decides whether an HTTP request to one of the operator's own endpoints may be served, by
 * asking the API server, as controller-runtime's metrics filter (pkg/metrics/filters) does: the bearer token
 * is authenticated with a TokenReview, and the user it names is authorized with a SubjectAccessReview for
 * the request's verb (the method, lower-cased) on its path as a non-resource URL. Needs `create` on
 * tokenreviews.authentication.k8s.io and subjectaccessreviews.authorization.k8s.io.
 *
 * Decisions are cached with controller-runtime's TTLs (a token's review 1 min, an allow 5 min, a deny 30 s),
 * so a Prometheus scraping every 15 s costs one TokenReview a minute and one SubjectAccessReview every five,
 * not two API calls a scrape. Failed reviews (API server unreachable) are not cached and answer 500. Tokens
 * are cached only as their SHA-256. At most `maxInFlight` reviews run at once; more answer 429 without
 * asking, so a flood of made-up tokens cannot turn into a flood of API requests under the operator's name.
 *
 * apiserver_delegated_authn_request_total{code} and apiserver_delegated_authz_request_total{code} (with
 * their _duration_seconds) count the reviews actually sent, under the names Kubernetes' own delegated
 * authenticator and authorizer use.
 */
import { createHash } from "node:crypto";
import { Counter, Histogram, type Registry } from "prom-client";
import { isApiError } from "./api-error.ts";
import { DecisionCache } from "./decision-cache.ts";
import type { KubeClient } from "./kube-client.ts";

export interface RequestToAuthorize {
  /** The Authorization header, if any. */
  authorization: string | undefined;
  method: string;
  /** The URL path, without the query. */
  path: string;
}

export type AuthDecision =
  | { allowed: true }
  | { allowed: false; status: 401 | 403 | 429 | 500; message: string; reason: DenialReason };

/** Why a request was refused; fixed strings, safe to log (they carry no token and no name). */
export type DenialReason =
  | "no bearer token"
  | "token not authenticated"
  | "not authorized"
  | "too many reviews in flight"
  | "review failed";

export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface DelegatedAuthMetrics {
  observe(review: "authn" | "authz", code: string, seconds: number): void;
}

export interface DelegatedAuthOptions {
  client: KubeClient;
  metrics?: DelegatedAuthMetrics;
  authnTtlMs?: number;
  allowTtlMs?: number;
  denyTtlMs?: number;
  maxEntries?: number;
  maxInFlight?: number;
  /** Per review; controller-runtime's is 10 s. */
  timeoutMs?: number;
  now?: () => number;
}

type Authn = { authenticated: true; user: UserInfo } | { authenticated: false };

export class DelegatedAuth {
  readonly #client: KubeClient;
  readonly #metrics: DelegatedAuthMetrics | undefined;
  readonly #timeoutMs: number;
  readonly #maxInFlight: number;
  readonly #authn: DecisionCache<Authn>;
  readonly #authz: DecisionCache<boolean>;
  #inFlight = 0;

  constructor(o: DelegatedAuthOptions) {
    this.#client = o.client;
    this.#metrics = o.metrics;
    this.#timeoutMs = o.timeoutMs ?? 10_000;
    this.#maxInFlight = o.maxInFlight ?? 16;
    const maxEntries = o.maxEntries ?? 4096;
    const authnTtl = o.authnTtlMs ?? 60_000;
    this.#authn = new DecisionCache({ ttlMs: () => authnTtl, maxEntries, ...(o.now ? { now: o.now } : {}) });
    const [allow, deny] = [o.allowTtlMs ?? 300_000, o.denyTtlMs ?? 30_000];
    this.#authz = new DecisionCache({
      ttlMs: (allowed) => (allowed ? allow : deny),
      maxEntries,
      ...(o.now ? { now: o.now } : {}),
    });
  }

  async check(req: RequestToAuthorize): Promise<AuthDecision> {
    const token = bearerToken(req.authorization);
    if (token === undefined) return refuse(401, "Unauthorized", "no bearer token");
    try {
      const authn = await this.#authn.get(sha256(token), () => this.#bounded(() => this.#tokenReview(token)));
      if (!authn.authenticated) return refuse(401, "Unauthorized", "token not authenticated");
      const verb = req.method.toLowerCase();
      const { user } = authn;
      const key = JSON.stringify([user.username, user.uid, user.groups, user.extra, verb, req.path]);
      const allowed = await this.#authz.get(key, () =>
        this.#bounded(() => this.#subjectAccessReview(user, verb, req.path)),
      );
      if (!allowed) return refuse(403, `Authorization denied for user ${user.username}`, "not authorized");
      return { allowed: true };
    } catch (err) {
      if (err instanceof TooManyReviews)
        return refuse(429, "Too many requests", "too many reviews in flight");
      return refuse(500, "Authentication or authorization failed", "review failed");
    }
  }

  async #bounded<T>(review: () => Promise<T>): Promise<T> {
    if (this.#inFlight >= this.#maxInFlight) throw new TooManyReviews();
    this.#inFlight++;
    try {
      return await review();
    } finally {
      this.#inFlight--;
    }
  }

  async #tokenReview(token: string): Promise<Authn> {
    const status = await this.#send<{ authenticated?: boolean; user?: UserInfo }>(
      "authn",
      "/apis/authentication.k8s.io/v1/tokenreviews",
      { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } },
    );
    return status.authenticated === true && status.user?.username
      ? { authenticated: true, user: status.user }
      : { authenticated: false };
  }

  async #subjectAccessReview(user: UserInfo, verb: string, path: string): Promise<boolean> {
    const status = await this.#send<{ allowed?: boolean }>(
      "authz",
      "/apis/authorization.k8s.io/v1/subjectaccessreviews",
      {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          ...(user.groups ? { groups: user.groups } : {}),
          ...(user.extra ? { extra: user.extra } : {}),
          nonResourceAttributes: { path, verb },
        },
      },
    );
    return status.allowed === true;
  }

  async #send<S>(review: "authn" | "authz", path: string, body: unknown): Promise<S> {
    const started = performance.now();
    let code = "201";
    try {
      const res = await this.#client.request<{ status?: S }>({
        method: "POST",
        path,
        body,
        timeoutMs: this.#timeoutMs,
      });
      return res?.status ?? ({} as S);
    } catch (err) {
      code = isApiError(err) ? String(err.code) : "<error>";
      throw err;
    } finally {
      this.#metrics?.observe(review, code, (performance.now() - started) / 1000);
    }
  }
}

class TooManyReviews extends Error {}

function refuse(
  status: 401 | 403 | 429 | 500,
  message: string,
  reason: DenialReason,
): Extract<AuthDecision, { allowed: false }> {
  return { allowed: false, status, message, reason };
}

/** The token of "Bearer <token>" (the scheme case-insensitive, as the API server reads it), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1];
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

export function createDelegatedAuthMetrics(registry: Registry): DelegatedAuthMetrics {
  const make = (what: "authn" | "authz", review: string) => ({
    total: new Counter({
      name: `apiserver_delegated_${what}_request_total`,
      help: `${review}s sent to the API server to decide a request to this process, partitioned by status code.`,
      labelNames: ["code"] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: `apiserver_delegated_${what}_request_duration_seconds`,
      help: `Latency of those ${review}s in seconds, by status code.`,
      labelNames: ["code"] as const,
      buckets: [0.25, 0.5, 0.7, 1, 1.5, 3, 5, 10],
      registers: [registry],
    }),
  });
  const m = { authn: make("authn", "TokenReview"), authz: make("authz", "SubjectAccessReview") };
  return {
    observe(review, code, seconds) {
      m[review].total.inc({ code });
      m[review].duration.observe({ code }, seconds);
    },
  };
}
