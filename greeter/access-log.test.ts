import { describe, expect, it } from "vitest";
import { accessLog } from "./access-log.ts";
import { createLogger, type Logger } from "./logger.ts";

const entry = {
  requestId: "edge/1:2@x+y=z-w.q",
  method: "POST",
  route: "/echo-name",
  statusCode: 200,
  durationMs: 0.123456789,
};

const greeterLogger: Make = (write) => createLogger("info", { write });

function capture(make: Make) {
  const lines: string[] = [];
  return { log: make((line) => lines.push(line)), lines };
}

type Make = (write: (line: string) => void) => Logger;

/** What pino itself writes, through a logger made the same way, for the same entry at the same time. */
function pinoLine(make: Make, line: string, e: object): string {
  const { level, time } = JSON.parse(line);
  const lines: string[] = [];
  const twin = make((l) => lines.push(l));
  twin.level = level;
  const realNow = Date.now;
  Date.now = () => time;
  try {
    twin[level as "info"](e, "request");
  } finally {
    Date.now = realNow;
  }
  return lines[0] as string;
}

describe("accessLog", () => {
  it("writes the bytes pino writes for the same request", () => {
    const { log, lines } = capture(greeterLogger);
    accessLog(log)("info", entry);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(pinoLine(greeterLogger, lines[0] as string, entry));
    expect(JSON.parse(lines[0] as string)).toMatchObject({ ...entry, level: "info", service: "greeter" });
  });

  it("escapes what JSON must escape, as pino does, and keeps a child logger's bindings", () => {
    const withShard: Make = (write) => greeterLogger(write).child({ shard: 'a"b' });
    const { log, lines } = capture(withShard);
    const odd = {
      ...entry,
      requestId: 'quote" back\\ nl\n',
      route: "<unmatched>",
      statusCode: 404,
      durationMs: 12,
    };
    accessLog(log)("info", odd);
    expect(lines[0]).toBe(pinoLine(withShard, lines[0] as string, odd));
    expect(JSON.parse(lines[0] as string)).toMatchObject({ ...odd, shard: 'a"b' });
  });

  it("writes debug lines only when the logger's level allows them, then or later", () => {
    const { log, lines } = capture(greeterLogger);
    const write = accessLog(log);
    write("debug", entry);
    expect(lines).toEqual([]);
    log.level = "debug";
    write("debug", entry);
    expect(lines[0]).toBe(pinoLine(greeterLogger, lines[0] as string, entry));
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: "debug", msg: "request" });
    log.level = "warn";
    write("info", entry);
    expect(lines).toHaveLength(1);
  });
});
