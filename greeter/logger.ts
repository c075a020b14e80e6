/**
 * Creates the greeter's pino logger: JSON lines on stdout, batched. sonic-boom collects lines until it holds
 * LOG_BATCH_BYTES (about 40 access-log lines) or LOG_FLUSH_MS has passed, then writes them in one synchronous
 * write. An asynchronous destination costs a libuv thread-pool round trip per write, and under load it wrote
 * nearly one line per write: about a tenth of a greeting's CPU (docs/greeter.md#performance). Synchronous also
 * bounds memory: when the reader of stdout stalls, the write blocks instead of the lines piling up in the heap
 * until the memory limit kills the pod. Lines that say what the process is doing (listening, shutting down) go
 * out at once through flushSoon, and main.ts flushes before exiting, so no line is lost or reordered on
 * shutdown; a SIGKILL (an OOM kill) loses at most the last LOG_FLUSH_MS of access-log lines.
 */
import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "./config.ts";

export type { Logger };

export const LOG_BATCH_BYTES = 8192;
export const LOG_FLUSH_MS = 1000;

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "greeter" },
      // pino's default epoch-millisecond `time`: formatting an ISO date cost 2% of a request's CPU.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ??
      pino.destination({ dest: 1, sync: true, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS }),
  );
}

/** Writes the lines buffered so far without waiting for the batch to fill. */
export function flushSoon(log: Logger) {
  log.flush(() => {});
}
