/**
 * Writes the access log's "request" line, the one line every request leaves, straight to the logger's
 * destination: the same bytes pino would write for the same fields (access-log.test.ts compares them), built
 * as one template string. pino's generic serializer walks the object's keys and concatenates piece by piece,
 * which on the greeter's hottest path was more than twice the garbage of this one string, and young garbage is
 * what sets how often V8 stops the process to collect (docs/greeter.md#performance). Rarer lines (failures,
 * aborts) go through pino.
 */
import { pino } from "pino";
import type { Logger } from "./logger.ts";

export type AccessEntry = {
  requestId: string;
  method: string;
  route: string;
  statusCode: number;
  durationMs: number;
};

export type AccessLog = (level: "debug" | "info", entry: AccessEntry) => void;

type Stream = { write(line: string): void };

export function accessLog(log: Logger): AccessLog {
  // pino documents its symbols for integrations: the destination, and the bindings (base and child) as JSON.
  const internals = log as unknown as Record<symbol, unknown>;
  const stream = internals[pino.symbols.streamSym] as Stream;
  const bindings = internals[pino.symbols.chindingsSym] as string;
  const levels = { debug: `{"level":"debug","time":`, info: `{"level":"info","time":` };
  return (level, e) => {
    if (!log.isLevelEnabled(level)) return;
    stream.write(
      `${levels[level]}${Date.now()}${bindings},"requestId":${JSON.stringify(e.requestId)},"method":${JSON.stringify(e.method)},"route":${JSON.stringify(e.route)},"statusCode":${e.statusCode},"durationMs":${e.durationMs},"msg":"request"}\n`,
    );
  };
}
