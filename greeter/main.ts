/**
 * Starts the greeter: reads the configuration (a bad value prints why and exits 1), builds the apps,
 * listens on PORT and METRICS_PORT (HOST if set), and installs graceful shutdown for both. Wiring only;
 * behaviour lives in app.ts and shutdown.ts.
 */
import type { AddressInfo } from "node:net";
import { createApp, createMetricsApp } from "./app.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { createLogger, flushSoon } from "./logger.ts";
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
const deps = { log, metrics, isReady: () => ready };
const serverOptions = { keepAliveTimeout: config.keepAliveTimeoutMs };
const server = createServer(serverOptions, createApp(config, deps));
const metricsServer = createServer(serverOptions, createMetricsApp(deps));

installShutdown({
  servers: [server, metricsServer],
  log,
  shutdownDelayMs: config.shutdownDelayMs,
  drainTimeoutMs: config.drainTimeoutMs,
  beginDrain: () => {
    ready = false;
  },
  exit: (code) => exitAfterFlush(code),
});

for (const s of [server, metricsServer]) {
  s.on("error", (err) => {
    log.fatal({ err }, "server failed");
    exitAfterFlush(1);
  });
}

const listening = (s: typeof server, port: number) =>
  new Promise<AddressInfo>((resolve) => {
    s.listen({ port, host: config.host }, () => resolve(s.address() as AddressInfo));
  });

// Ready only once both listen: a pod that is Ready must also be scrapable.
const [publicAddress, metricsAddress] = await Promise.all([
  listening(server, config.port),
  listening(metricsServer, config.metricsPort),
]);
ready = true;
log.info(
  {
    port: publicAddress.port,
    metricsPort: metricsAddress.port,
    address: publicAddress.address,
    version: config.version,
    nameMaxLength: config.nameMaxLength,
    bodyLimitBytes: config.bodyLimitBytes,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    shutdownDelayMs: config.shutdownDelayMs,
    drainTimeoutMs: config.drainTimeoutMs,
  },
  "greeter listening",
);
flushSoon(log);
