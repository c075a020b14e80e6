/**
 * Test helpers for the greeter: an in-process app and its metrics app, each on a real loopback socket (port 0),
 * as main.ts serves them, with their logs
 * captured as parsed JSON lines, and a child-process greeter (`node greeter/main.ts`) for signal and
 * startup tests. Not part of the build (tsconfig.build.json compiles greeter/ only; hack/bundle.ts bundles the operator).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { createApp, createMetricsApp } from "../../greeter/app.ts";
import { loadConfig } from "../../greeter/config.ts";
import { createMetrics, type GreeterMetrics } from "../../greeter/metrics.ts";

export type LogLine = Record<string, unknown> & { level: string; msg: string };

export type TestGreeter = {
  url: string;
  port: number;
  /** The metrics listener's base URL: GET /metrics is only there. */
  metricsUrl: string;
  metrics: GreeterMetrics;
  logs: LogLine[];
  setReady(ready: boolean): void;
  close(): Promise<void>;
};

/** Starts the greeter app in this process on 127.0.0.1:0, configured from `env` through loadConfig. */
export async function startTestGreeter(
  env: Record<string, string> = {},
  options: { metrics?: GreeterMetrics } = {},
): Promise<TestGreeter> {
  const config = loadConfig({ LOG_LEVEL: "info", VERSION: "test", ...env });
  const logs: LogLine[] = [];
  const log = pino(
    { level: config.logLevel, formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
  );
  const metrics = options.metrics ?? createMetrics({ version: config.version });
  let ready = true;
  const deps = { log, metrics, isReady: () => ready };
  const server: Server = createServer(createApp(config, deps)).listen(0, "127.0.0.1");
  const metricsServer: Server = createServer(createMetricsApp(deps)).listen(0, "127.0.0.1");
  await Promise.all([once(server, "listening"), once(metricsServer, "listening")]);
  const { port } = server.address() as AddressInfo;
  const metricsPort = (metricsServer.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    metrics,
    logs,
    setReady(value) {
      ready = value;
    },
    close: async () => {
      await Promise.all(
        [server, metricsServer].map(
          (s) =>
            new Promise<void>((resolve, reject) => {
              s.closeAllConnections();
              s.close((err) => (err ? reject(err) : resolve()));
            }),
        ),
      );
    },
  };
}

const MAIN = fileURLToPath(new URL("../../greeter/main.ts", import.meta.url));

export type ChildGreeter = {
  child: ChildProcess;
  /** Every stdout line so far, parsed (the greeter logs JSON). */
  logs: LogLine[];
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
};

/** Spawns `node greeter/main.ts` with `env` on top of a minimal environment. */
export function spawnGreeter(env: Record<string, string>): ChildGreeter {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", METRICS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: LogLine[] = [];
  let pending = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) logs.push(JSON.parse(line) as LogLine);
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, logs, stderr: () => stderr, exited };
}

/** Waits for a log line matching `predicate`, or fails if the process exits or the wait is too long. */
export async function waitForLog(
  greeter: ChildGreeter,
  predicate: (line: LogLine) => boolean,
  timeoutMs = 15_000,
): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = greeter.logs.find(predicate);
    if (found) return found;
    if (greeter.child.exitCode !== null) {
      throw new Error(
        `greeter exited (${greeter.child.exitCode}) before the log line; stderr: ${greeter.stderr()}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Spawns the greeter and waits until it listens; returns it with its base URL. */
export async function startChildGreeter(env: Record<string, string> = {}) {
  const greeter = spawnGreeter(env);
  const listening = await waitForLog(greeter, (l) => l.msg === "greeter listening");
  return {
    ...greeter,
    port: listening.port as number,
    url: `http://127.0.0.1:${listening.port}`,
    metricsUrl: `http://127.0.0.1:${listening.metricsPort}`,
  };
}
