/**
 * Graceful shutdown. On the first SIGTERM or SIGINT: readiness fails at once (beginDrain), the server stops
 * accepting connections and closes idle keep-alive ones, in-flight requests finish, then exit(0). If they
 * have not finished within drainTimeoutMs, the remaining connections are cut and exit(1). A second signal
 * exits at once with 1. A crash (uncaught exception, unhandled rejection) is logged and exits 1 without
 * draining, since the process state is unknown.
 */
import type { Server } from "node:http";
import type { Logger } from "pino";

const IDLE_SWEEP_MS = 50;

export type ShutdownOptions = {
  server: Server;
  log: Logger;
  drainTimeoutMs: number;
  beginDrain: () => void;
  exit: (code: number) => void;
};

export function installShutdown(options: ShutdownOptions): { uninstall: () => void } {
  const { server, log, drainTimeoutMs, beginDrain } = options;
  let draining = false;
  // Exit once: after a drain timeout, cutting the connections also completes server.close().
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    options.exit(code);
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
    log.info({ signal, drainTimeoutMs }, "shutting down: readiness failed, draining in-flight requests");
    const timer = setTimeout(() => {
      log.warn({ drainTimeoutMs }, "drain timeout: cutting the remaining connections");
      server.closeAllConnections();
      exit(1);
    }, drainTimeoutMs);
    timer.unref();
    // close() only closes connections idle right now; a keep-alive connection whose request finishes later
    // would otherwise linger until its keep-alive timeout. Sweep those as they become idle.
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    sweep.unref();
    server.close((err) => {
      clearTimeout(timer);
      clearInterval(sweep);
      if (exiting) return;
      if (err) log.error({ err }, "closing the server failed");
      else log.info("drained: all requests finished");
      exit(err ? 1 : 0);
    });
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
