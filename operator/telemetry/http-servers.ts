/**
 * The operator's two small HTTP servers, each on its own address: metrics (GET /metrics) and probes
 * (GET /healthz, a liveness ping; GET /readyz, 200 only when every readiness check passes, with the failing
 * checks named in the body). Anything else is 404.
 *
 * The metrics server is HTTPS with authentication and authorization by default (operator/config.ts
 * --metrics-secure): every request, whatever its path, is first decided by DelegatedAuth (a TokenReview and a
 * SubjectAccessReview, cached), as controller-runtime's filter does. A refusal is logged at debug with its
 * status and a fixed reason, never the token or who sent it.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { DelegatedAuth } from "../runtime/delegated-auth.ts";
import type { ServingCert } from "../runtime/serving-cert.ts";

export interface ReadinessCheck {
  name: string;
  /** A reason when not ready, undefined when ready. */
  check(): string | undefined;
}

export interface Listening {
  server: Server | HttpsServer;
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

export interface MetricsServerOptions {
  /** Serve HTTPS with this certificate (reloaded when it changes); plain HTTP without. */
  tls?: ServingCert;
  /** Decide every request first; without it, anyone who reaches the port may read. */
  auth?: DelegatedAuth;
  log?: Logger;
}

export async function startMetricsServer(
  address: string,
  registry: Registry,
  o: MetricsServerOptions = {},
): Promise<Listening> {
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url?.split("?")[0] ?? "/";
    if (o.auth) {
      const decision = await o.auth.check({
        authorization: req.headers.authorization,
        method: req.method ?? "GET",
        path,
      });
      if (!decision.allowed) {
        o.log?.debug({ status: decision.status, reason: decision.reason }, "metrics request refused");
        res.writeHead(decision.status, { "content-type": "text/plain" }).end(`${decision.message}\n`);
        return;
      }
    }
    if (req.method === "GET" && path === "/metrics") {
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  };
  const tls = o.tls;
  if (!tls) return listen(address, handler, o.log);
  const server = createHttpsServer(tls.current, guarded(handler, o.log));
  tls.start((pair) => server.setSecureContext(pair));
  const listening = await listenOn(server, address);
  return {
    ...listening,
    async close() {
      tls.stop();
      await listening.close();
    },
  };
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

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** A handler that throws answers 500 instead of becoming an unhandled rejection, which exits the operator. */
function guarded(handler: Handler, log?: Logger): Handler {
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (err) {
      log?.error({ err }, "HTTP handler failed");
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  };
}

function listen(address: string, handler: Handler, log?: Logger): Promise<Listening> {
  return listenOn(createServer(guarded(handler, log)), address);
}

async function listenOn(server: Server | HttpsServer, address: string): Promise<Listening> {
  const { host, port } = parseBindAddress(address);
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
