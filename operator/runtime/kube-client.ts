/**
 * KubeClient sends every request the operator makes to the API server. It takes cluster address and
 * credentials from a ClusterAccess (cluster-access.ts: read directly for certificates and tokens, through
 * client-node's KubeConfig for exec plugins and the like; tokens are re-read, so rotated service-account
 * tokens keep working) and keeps one pooled undici connection per client: client-node 2.0's generated APIs
 * build a new dispatcher per request. One choke point also means one metrics hook
 * for lists, watches, applies and deletes alike.
 */
import type { Readable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import { Agent, type Dispatcher, request } from "undici";
import { ApiError } from "./api-error.ts";
import { type ClusterAccess, fromKubeConfig } from "./cluster-access.ts";
import { noRestClientMetrics, type RestClientMetrics } from "./rest-client-metrics.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method: Method;
  path: string;
  query?: Query;
  body?: unknown;
  /** Defaults to application/json when there is a body. */
  contentType?: string;
  signal?: AbortSignal;
  /** Whole-request timeout for non-streaming calls; default 30 s. */
  timeoutMs?: number;
  /** Defaults to application/json; e.g. a PartialObjectMetadata media type for metadata-only reads. */
  accept?: string;
}

export interface KubeClientOptions {
  metrics?: RestClientMetrics;
  /** Names the operator in the API server's audit log. */
  userAgent?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class KubeClient {
  readonly #access: ClusterAccess;
  readonly #server: string;
  readonly #agent: Dispatcher | undefined;
  readonly #metrics: RestClientMetrics;
  readonly #userAgent: string;

  /** `access` from loadClusterAccess (cluster-access.ts); a client-node KubeConfig is accepted too. */
  constructor(access: ClusterAccess | KubeConfig, options: KubeClientOptions = {}) {
    this.#access = "authenticate" in access ? access : fromKubeConfig(access);
    this.#server = this.#access.server;
    // A proxy needs client-node's own dispatcher (taken per request below); everything else shares one pool.
    this.#agent = this.#access.ownDispatcher
      ? undefined
      : new Agent({ connect: { ...this.#access.tls }, keepAliveTimeout: 30_000 });
    this.#metrics = options.metrics ?? noRestClientMetrics;
    this.#userAgent = options.userAgent ?? "operator-runtime";
  }

  /** Sends one request and returns the decoded JSON body; throws ApiError on a non-2xx answer. */
  async request<T = unknown>(opts: RequestOptions): Promise<T> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const res = await this.#send(opts, signal, false);
    const text = await res.body.text();
    if (res.statusCode >= 300) throw ApiError.fromStatus(res.statusCode, parseJson(text), text.slice(0, 300));
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /**
   * Opens a streaming GET (a watch) and returns its body once the server answered 200. No timeout applies
   * to the body: the caller owns liveness (see Watcher) and ends the stream through `signal`.
   */
  async stream(path: string, query: Query, signal: AbortSignal, accept?: string): Promise<Readable> {
    const res = await this.#send({ method: "GET", path, query, ...(accept ? { accept } : {}) }, signal, true);
    if (res.statusCode !== 200) {
      const text = await res.body.text().catch(() => "");
      throw ApiError.fromStatus(res.statusCode, parseJson(text), text.slice(0, 300));
    }
    return res.body;
  }

  async close(): Promise<void> {
    await this.#agent?.close();
  }

  async #send(
    opts: RequestOptions,
    signal: AbortSignal,
    streaming: boolean,
  ): Promise<Dispatcher.ResponseData> {
    const url = new URL(this.#server + opts.path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const auth = await this.#access.authenticate(url);
    const headers: Record<string, string> = {
      ...auth.headers,
      "user-agent": this.#userAgent,
      accept: opts.accept ?? "application/json",
    };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
      headers["content-type"] = opts.contentType ?? "application/json";
    }
    const started = performance.now();
    try {
      const res = await request(url, {
        method: opts.method,
        headers,
        body,
        signal,
        dispatcher: this.#agent ?? (auth.dispatcher as Dispatcher | undefined),
        // Watches are kept alive by the watcher's own inactivity timer, not by undici's.
        bodyTimeout: streaming ? 0 : DEFAULT_TIMEOUT_MS,
        headersTimeout: DEFAULT_TIMEOUT_MS,
      });
      this.#metrics.observe(opts.method, String(res.statusCode), (performance.now() - started) / 1000);
      return res;
    } catch (err) {
      this.#metrics.observe(opts.method, "<error>", (performance.now() - started) / 1000);
      throw err;
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
