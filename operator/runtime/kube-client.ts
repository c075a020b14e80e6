/**
 * KubeClient sends every request the operator makes to the API server. It takes cluster address and
 * credentials from a ClusterAccess (cluster-access.ts: read directly for certificates and tokens, through
 * client-node's KubeConfig for exec plugins and the like; tokens are re-read, so rotated service-account
 * tokens keep working) and keeps one pool of keep-alive connections per client: client-node 2.0's generated
 * APIs build a new dispatcher per request. One choke point also means one metrics hook for lists, watches,
 * applies and deletes alike.
 *
 * The transport is Node's own `node:https` Agent, whose HTTP parser is built into Node. The undici package
 * (what this client used before) brings its own WebAssembly HTTP parser and modules: 27 MiB of RSS in a bare
 * process making 200 requests, less in the operator, whose later allocations reuse much of that memory
 * (docs/operator-performance.md). undici is loaded only when a kubeconfig asks for a proxy, whose dispatcher
 * client-node builds with it.
 */
import type { Agent as HttpAgent } from "node:http";
import type { Readable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Dispatcher } from "undici";
import { ApiError } from "./api-error.ts";
import { type ClusterAccess, fromKubeConfig } from "./cluster-access.ts";
import { httpAgent, send } from "./http-transport.ts";
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

/** What a response is to the methods below, whichever transport carried it. */
interface Response {
  statusCode: number;
  body: Readable;
}

export class KubeClient {
  readonly #access: ClusterAccess;
  readonly #server: string;
  readonly #agent: HttpAgent | undefined;
  readonly #metrics: RestClientMetrics;
  readonly #userAgent: string;

  /** `access` from loadClusterAccess (cluster-access.ts); a client-node KubeConfig is accepted too. */
  constructor(access: ClusterAccess | KubeConfig, options: KubeClientOptions = {}) {
    this.#access = "authenticate" in access ? access : fromKubeConfig(access);
    this.#server = this.#access.server;
    // A proxy needs client-node's own dispatcher (taken per request below); everything else shares one pool.
    this.#agent = this.#access.ownDispatcher ? undefined : httpAgent(this.#server, this.#access.tls);
    this.#metrics = options.metrics ?? noRestClientMetrics;
    this.#userAgent = options.userAgent ?? "operator-runtime";
  }

  /** Sends one request and returns the decoded JSON body; throws ApiError on a non-2xx answer. */
  async request<T = unknown>(opts: RequestOptions): Promise<T> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const res = await this.#send(opts, signal);
    const text = await readText(res.body);
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
      const text = await readText(res.body).catch(() => "");
      throw ApiError.fromStatus(res.statusCode, parseJson(text), text.slice(0, 300));
    }
    return res.body;
  }

  async close(): Promise<void> {
    this.#agent?.destroy();
  }

  async #send(opts: RequestOptions, signal: AbortSignal, streaming = false): Promise<Response> {
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
      const res = this.#agent
        ? await send(
            url,
            { method: opts.method, headers, body, signal, agent: this.#agent },
            DEFAULT_TIMEOUT_MS,
          )
        : await sendThroughDispatcher(url, opts.method, headers, body, signal, streaming, auth.dispatcher);
      this.#metrics.observe(opts.method, String(res.statusCode), (performance.now() - started) / 1000);
      return res;
    } catch (err) {
      this.#metrics.observe(opts.method, "<error>", (performance.now() - started) / 1000);
      throw err;
    }
  }
}

/** Through client-node's undici dispatcher (a proxy): the one case that loads undici. */
async function sendThroughDispatcher(
  url: URL,
  method: Method,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
  streaming: boolean,
  dispatcher: unknown,
): Promise<Response> {
  const { request } = await import("undici");
  return request(url, {
    method,
    headers,
    body,
    signal,
    dispatcher: dispatcher as Dispatcher | undefined,
    // Watches are kept alive by the watcher's own inactivity timer, not by undici's.
    bodyTimeout: streaming ? 0 : DEFAULT_TIMEOUT_MS,
    headersTimeout: DEFAULT_TIMEOUT_MS,
  });
}

async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
