/**
 * Starts the greeter: reads the configuration (a bad value prints why and exits 1), builds the app,
 * listens on PORT (HOST if set), and installs graceful shutdown. Wiring only; behaviour lives in app.ts
 * and shutdown.ts.
 */
import type { AddressInfo } from "node:net";
import { createApp } from "./app.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { installShutdown } from "./shutdown.ts";

// getBuiltinModule rather than a static import, which would load undici (see problem.ts).
const { createServer } = process.getBuiltinModule("node:http");

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`greeter: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Exits once the asynchronous log destination has written everything, in order (at most 2 s later). */
function exitAfterFlush(code: number) {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
  log.flush(() => process.exit(code));
}

const config = readConfig();
const log = createLogger(config.logLevel);
const metrics = createMetrics({ version: config.version });
let ready = false;
const app = createApp(config, { log, metrics, isReady: () => ready });
const server = createServer(app);

installShutdown({
  server,
  log,
  shutdownDelayMs: config.shutdownDelayMs,
  drainTimeoutMs: config.drainTimeoutMs,
  beginDrain: () => {
    ready = false;
  },
  exit: (code) => exitAfterFlush(code),
});

server.on("error", (err) => {
  log.fatal({ err }, "server failed");
  exitAfterFlush(1);
});
server.listen({ port: config.port, host: config.host }, () => {
  ready = true;
  const { port, address } = server.address() as AddressInfo;
  log.info(
    {
      port,
      address,
      version: config.version,
      nameMaxLength: config.nameMaxLength,
      bodyLimitBytes: config.bodyLimitBytes,
      shutdownDelayMs: config.shutdownDelayMs,
      drainTimeoutMs: config.drainTimeoutMs,
    },
    "greeter listening",
  );
});
