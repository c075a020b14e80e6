/**
 * The operator's two small HTTP servers, each on its own address: metrics (GET /metrics) and probes
 * (GET /healthz, a liveness ping; GET /readyz, 200 only when every readiness check passes, with the failing
 * checks named in the body). Anything else is 404.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface ReadinessCheck {
  name: string;
  /** A reason when not ready, undefined when ready. */
  check(): string | undefined;
}

export interface Listening {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Parses ":8080", "0.0.0.0:8080" or "[::1]:8080"; an empty host means all interfaces. */
export function parseBindAddress(address: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  if (!m) throw new Error(`bad bind address ${JSON.stringify(address)}: want host:port or :port`);
  const host = m[1] ?? m[2];
  return { host: host === "" ? undefined : host, port: Number(m[3]) };
}

export function startMetricsServer(address: string, registry: Registry): Promise<Listening> {
  return listen(address, async (req, res) => {
    if (req.method === "GET" && req.url?.split("?")[0] === "/metrics") {
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  });
}

export function startProbeServer(address: string, checks: readonly ReadinessCheck[]): Promise<Listening> {
  return listen(address, async (req, res) => {
    const path = req.url?.split("?")[0];
    if (req.method === "GET" && (path === "/healthz" || path === "/livez")) {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (req.method === "GET" && path === "/readyz") {
      const failing = checks.flatMap((c) => {
        const reason = c.check();
        return reason === undefined ? [] : [`${c.name}: ${reason}`];
      });
      res.writeHead(failing.length === 0 ? 200 : 503, { "content-type": "text/plain" });
      res.end(failing.length === 0 ? "ok\n" : `${failing.join("\n")}\n`);
      return;
    }
    res.writeHead(404).end();
  });
}

async function listen(address: string, handler: Parameters<typeof createServer>[1]): Promise<Listening> {
  const { host, port } = parseBindAddress(address);
  const server = createServer(handler);
  server.listen({ port, host });
  await once(server, "listening");
  return {
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close").catch(() => {});
    },
  };
}
