/**
 * The bench's own API client: a pooled undici connection with the admin client certificate. It is
 * deliberately not the operator's KubeClient, so the floor and the bench's bookkeeping measure the API server,
 * not the operator's runtime.
 */
import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { Agent, request } from "undici";

export interface Credentials {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export class BenchApi {
  readonly #server: string;
  readonly #agent: Agent;

  constructor(creds: Credentials, connections = 8) {
    this.#server = creds.server;
    this.#agent = new Agent({
      connect: {
        ca: readFileSync(creds.caFile),
        cert: readFileSync(creds.certFile),
        key: readFileSync(creds.keyFile),
      },
      connections,
      keepAliveTimeout: 30_000,
    });
  }

  async send(method: string, path: string, body?: unknown, contentType = "application/json") {
    const res = await request(this.#server + path, {
      method: method as "GET",
      dispatcher: this.#agent,
      headers: {
        accept: "application/json",
        "user-agent": "greeter-bench",
        ...(body === undefined ? {} : { "content-type": contentType }),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const text = await res.body.text();
    return { status: res.statusCode, text };
  }

  async json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.send(method, path, body, contentType);
    if (res.status >= 300)
      throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
    return JSON.parse(res.text) as T;
  }

  /** Server-side apply with force, under `manager`. */
  apply<T>(path: string, obj: unknown, manager: string): Promise<T> {
    return this.json<T>(
      "PATCH",
      `${path}?fieldManager=${encodeURIComponent(manager)}&force=true`,
      obj,
      "application/apply-patch+yaml",
    );
  }

  async stream(path: string, signal: AbortSignal): Promise<Readable> {
    const res = await request(this.#server + path, {
      method: "GET",
      dispatcher: this.#agent,
      headers: { accept: "application/json", "user-agent": "greeter-bench" },
      signal,
      bodyTimeout: 0,
    });
    if (res.statusCode !== 200) throw new Error(`watch ${path}: HTTP ${res.statusCode}`);
    return res.body;
  }

  /** The API server's own Prometheus metrics. */
  async metrics(): Promise<string> {
    const res = await this.send("GET", "/metrics");
    if (res.status !== 200) throw new Error(`GET /metrics: HTTP ${res.status}`);
    return res.text;
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
