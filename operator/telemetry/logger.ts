/**
 * The operator's pino logger: JSON lines on stdout with ISO time and a string level. Children add
 * `controller`, `key` and `reconcileId` (see runtime/controller.ts), so one reconcile's lines can be grepped
 * together. Synchronous: the operator logs little, and no line may be lost when it exits.
 */
import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "greeter-operator" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
