import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";

/**
 * A minimal HTTPS client for the cluster's own housekeeping (readiness, Nodes, CRDs). It talks to the API
 * server with the admin client certificate; tests and the operator use kubectl or @kubernetes/client-node.
 */
export interface ApiCredentials {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface ApiResponse {
  status: number;
  body: string;
}

export class ApiClient {
  readonly server: string;
  readonly #agent: Agent;

  constructor(creds: ApiCredentials) {
    this.server = creds.server;
    this.#agent = new Agent({
      ca: readFileSync(creds.caFile),
      cert: readFileSync(creds.certFile),
      key: readFileSync(creds.keyFile),
      keepAlive: false,
    });
  }

  request(
    method: string,
    path: string,
    body?: string,
    contentType = "application/json",
  ): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.server),
        {
          method,
          agent: this.#agent,
          headers: body === undefined ? {} : { "content-type": contentType },
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  async json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.request(
      method,
      path,
      body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      contentType,
    );
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body.slice(0, 500)}`);
    }
    return JSON.parse(res.body) as T;
  }

  /** Server-side apply: creates or updates `obj` at `path` (its resource URL, name included). */
  apply<T>(path: string, obj: unknown, fieldManager = "greeter-test-cluster"): Promise<T> {
    const q = `fieldManager=${encodeURIComponent(fieldManager)}&force=true`;
    return this.json<T>("PATCH", `${path}?${q}`, obj, "application/apply-patch+yaml");
  }

  close(): void {
    this.#agent.destroy();
  }
}
