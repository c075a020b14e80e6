/**
 * The HTTP/1.1 transport under KubeClient: one keep-alive `node:https` (or `node:http`) Agent per API server,
 * and `send`, one request that resolves when the response's headers arrived. The caller reads or streams the
 * body; `signal` ends the request at any point, body included.
 *
 * Idle pooled connections close after 30 s. A watch holds its connection for minutes with nothing to send
 * between bookmarks; the Agent's idle timeout applies only to free connections, and no socket timeout is set
 * on one in use, so a quiet watch is never cut here (Watcher has its own silence timer).
 */
import http from "node:http";
import https from "node:https";
import type { TlsMaterial } from "./cluster-access.ts";

const IDLE_CONNECTION_MS = 30_000;

export function httpAgent(server: string, tls: TlsMaterial): http.Agent {
  if (new URL(server).protocol === "http:")
    return new http.Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS });
  return new https.Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS, ...tls });
}

export interface SendOptions {
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  signal: AbortSignal;
  agent: http.Agent;
}

/** Resolves with the response once its headers arrived (within `headersTimeoutMs`); rejects on any failure before. */
export function send(
  url: URL,
  o: SendOptions,
  headersTimeoutMs: number,
): Promise<{ statusCode: number; body: http.IncomingMessage }> {
  const headers =
    o.body === undefined ? o.headers : { ...o.headers, "content-length": String(Buffer.byteLength(o.body)) };
  const transport = url.protocol === "http:" ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method: o.method, headers, agent: o.agent, signal: o.signal });
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new Error("no response headers in time"), { code: "ETIMEDOUT" }));
    }, headersTimeoutMs);
    req.once("response", (res) => {
      clearTimeout(timer);
      resolve({ statusCode: res.statusCode ?? 0, body: res });
    });
    req.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(o.body);
  });
}
