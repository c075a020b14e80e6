/**
 * Creates the greeter's pino logger: JSON lines on stdout. The destination is asynchronous (sonic-boom
 * batches lines written while a write is pending), which keeps the per-request access log off the hot path
 * under load; main.ts waits for it to flush before exiting, so no line is lost or reordered on shutdown.
 */
import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "./config.ts";

export type { Logger };

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "greeter" },
      // pino's default epoch-millisecond `time`: formatting an ISO date cost 2% of a request's CPU.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
