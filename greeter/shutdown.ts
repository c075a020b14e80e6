/**
 * Graceful shutdown. On the first SIGTERM: readiness fails at once (beginDrain), but the server keeps accepting
 * and serving connections for shutdownDelayMs, answering each request with `Connection: close` (instrument.ts).
 * A request in flight then is answered with `Connection: close` too, and a keep-alive connection idle then is
 * closed if it stays idle for IDLE_CLOSE_MS (kept-alive-connections.ts): with a keep-alive timeout longer than
 * the delay, it would otherwise still be open, and reused, after the listener stops.
 * Endpoint removal takes a while to reach every proxy and load balancer, and a connection a lagging proxy still
 * sends here must not be refused; closing after each response moves keep-alive clients to other endpoints.
 * Then it drains: the server stops accepting connections and closes idle keep-alive ones, in-flight requests
 * finish, then exit(0). If they have not finished within drainTimeoutMs, the remaining connections are cut and
 * exit(1). Every listener (the public port and the metrics port) goes through these steps together, and the
 * process exits once all of them are closed, so Prometheus can still scrape during the delay. SIGINT drains
 * at once: it comes from a terminal, with no load balancer to wait for. A second signal
 * exits at once with 1. A crash (uncaught exception, unhandled rejection) is logged and exits 1 without
 * draining, since the process state is unknown.
 */
import type { Server } from "node:http";
import type { Logger } from "pino";
import { trackKeptAliveConnections } from "./kept-alive-connections.ts";
import { flushSoon } from "./logger.ts";

const IDLE_SWEEP_MS = 50;
// Shorter than the default delay, so a client whose idle connection is closed reconnects while it is still served.
const IDLE_CLOSE_MS = 1_000;

export type ShutdownOptions = {
  servers: readonly Server[];
  log: Logger;
  /** After SIGTERM, how long to keep serving new connections before draining; 0 drains at once. */
  shutdownDelayMs: number;
  drainTimeoutMs: number;
  beginDrain: () => void;
  exit: (code: number) => void;
};

export function installShutdown(options: ShutdownOptions): { uninstall: () => void } {
  const { servers, log, shutdownDelayMs, drainTimeoutMs, beginDrain } = options;
  let draining = false;
  const keptAlive = servers.map(trackKeptAliveConnections);
  // Exit once: after a drain timeout, cutting the connections also completes server.close().
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    options.exit(code);
  };

  const drain = () => {
    const timer = setTimeout(() => {
      log.warn({ drainTimeoutMs }, "drain timeout: cutting the remaining connections");
      for (const server of servers) server.closeAllConnections();
      exit(1);
    }, drainTimeoutMs);
    timer.unref();
    // close() only closes connections idle right now; a keep-alive connection whose request finishes later
    // would otherwise linger until its keep-alive timeout. Sweep those as they become idle.
    const sweep = setInterval(() => {
      for (const server of servers) server.closeIdleConnections();
    }, IDLE_SWEEP_MS);
    sweep.unref();
    const closed = servers.map(
      (server) =>
        new Promise<Error | undefined>((resolve) => {
          server.close((err) => resolve(err));
        }),
    );
    void Promise.all(closed).then((results) => {
      clearTimeout(timer);
      clearInterval(sweep);
      if (exiting) return;
      const err = results.find((e) => e !== undefined);
      if (err) log.error({ err }, "closing the server failed");
      else log.info("drained: all requests finished");
      exit(err ? 1 : 0);
    });
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      if (exiting) return;
      log.warn({ signal }, "second signal during drain: exiting now");
      exit(1);
      return;
    }
    draining = true;
    beginDrain();
    const delayed = signal === "SIGTERM" && shutdownDelayMs > 0;
    const idleCloseMs = delayed ? Math.min(IDLE_CLOSE_MS, shutdownDelayMs / 2) : 0;
    for (const k of keptAlive) k.closeWhenIdle(idleCloseMs);
    if (!delayed) {
      log.info({ signal, drainTimeoutMs }, "shutting down: readiness failed, draining in-flight requests");
      flushSoon(log);
      drain();
      return;
    }
    log.info(
      { signal, shutdownDelayMs, drainTimeoutMs },
      "shutting down: readiness failed, still serving until the shutdown delay ends",
    );
    flushSoon(log);
    setTimeout(() => {
      log.info({ drainTimeoutMs }, "shutdown delay over: draining in-flight requests");
      flushSoon(log);
      drain();
    }, shutdownDelayMs);
  };
  const onCrash = (err: unknown) => {
    log.fatal({ err }, "crashed");
    exit(1);
  };

  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  return {
    uninstall() {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      process.off("uncaughtException", onCrash);
      process.off("unhandledRejection", onCrash);
    },
  };
}
