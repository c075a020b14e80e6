/**
 * A tiny HTTP server for unit tests that plays the API server's REST and watch endpoints from a script,
 * and records every request. Integration tests use a real API server instead.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

export interface RecordedRequest {
  method: string;
  url: URL;
  body: string;
  headers: IncomingMessage["headers"];
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => unknown;

export interface FakeApiServer {
  url: string;
  requests: RecordedRequest[];
  kubeConfig(): KubeConfig;
  close(): Promise<void>;
}

export async function startFakeApiServer(handler: Handler): Promise<FakeApiServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const rec = {
      method: req.method ?? "GET",
      url: new URL(req.url ?? "/", "http://fake"),
      body,
      headers: req.headers,
    };
    requests.push(rec);
    try {
      await handler(rec, res);
    } catch (err) {
      if (!res.headersSent) sendJson(res, 500, { kind: "Status", code: 500, message: String(err) });
      else res.destroy();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: "fake", server: url, skipTLSVerify: true }],
        users: [{ name: "fake", token: "test-token" }],
        contexts: [{ name: "fake", cluster: "fake", user: "fake" }],
        currentContext: "fake",
      });
      return kc;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export function sendStatus(res: ServerResponse, code: number, reason: string, message = reason): void {
  sendJson(res, code, { kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message });
}

/** Starts a chunked watch response; write events with `writeEvent`. */
export function openWatch(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
  res.flushHeaders();
}

export function writeEvent(res: ServerResponse, type: string, object: unknown): void {
  res.write(`${JSON.stringify({ type, object })}\n`);
}

/** Polls until `check` returns a truthy value; for waiting on async effects without asserting on time. */
export async function eventually<T>(
  check: () => T | undefined | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
