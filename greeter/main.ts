/**
 * Starts the greeter: reads the configuration (a bad value prints why and exits 1), builds the app,
 * listens on PORT (HOST if set), and installs graceful shutdown. Wiring only; behaviour lives in app.ts
 * and shutdown.ts.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { installShutdown } from "./shutdown.ts";

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

const config = readConfig();
const log = createLogger(config.logLevel);
const metrics = createMetrics({ version: config.version });
let ready = false;
const app = createApp(config, { log, metrics, isReady: () => ready });
const server = createServer(app);

installShutdown({
  server,
  log,
  drainTimeoutMs: config.drainTimeoutMs,
  beginDrain: () => {
    ready = false;
  },
  // pino flushes its asynchronous destination on process exit.
  exit: (code) => process.exit(code),
});

server.on("error", (err) => {
  log.fatal({ err }, "server failed");
  process.exit(1);
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
      drainTimeoutMs: config.drainTimeoutMs,
    },
    "greeter listening",
  );
});
