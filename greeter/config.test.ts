import { describe, expect, it } from "vitest";
import { spawnGreeter } from "../test/support/greeter-server.ts";
import { ConfigError, loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      metricsPort: 9464,
      host: undefined,
      greeting: "Hello, {name}",
      nameMaxLength: 256,
      bodyLimitBytes: 1024,
      keepAliveTimeoutMs: 65_000,
      shutdownDelayMs: 5_000,
      drainTimeoutMs: 10_000,
      logLevel: "info",
      version: "unknown",
    });
  });

  it("reads every variable, treating blank values as unset", () => {
    const config = loadConfig({
      PORT: "9000",
      METRICS_PORT: "9001",
      HOST: "127.0.0.1",
      GREETING: "Hi {name}!",
      NAME_MAX_LENGTH: "10",
      BODY_LIMIT: "4 KiB",
      KEEP_ALIVE_TIMEOUT_MS: "120000",
      SHUTDOWN_DELAY_MS: "0",
      DRAIN_TIMEOUT_MS: "0",
      LOG_LEVEL: "DEBUG",
      VERSION: "",
      npm_package_version: "0.1.0",
    });
    expect(config).toEqual({
      port: 9000,
      metricsPort: 9001,
      host: "127.0.0.1",
      greeting: "Hi {name}!",
      nameMaxLength: 10,
      bodyLimitBytes: 4096,
      keepAliveTimeoutMs: 120_000,
      shutdownDelayMs: 0,
      drainTimeoutMs: 0,
      logLevel: "debug",
      version: "0.1.0",
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{ GREETING: "Hello there" }, 'GREETING must contain the placeholder "{name}"'],
    [{ PORT: "http" }, "PORT must be a whole number"],
    [{ PORT: "70000" }, "PORT must be at most 65535"],
    [{ METRICS_PORT: "metrics" }, "METRICS_PORT must be a whole number"],
    [{ PORT: "9464" }, "METRICS_PORT must differ from PORT"],
    [{ NAME_MAX_LENGTH: "0" }, "NAME_MAX_LENGTH must be at least 1"],
    [{ NAME_MAX_LENGTH: "2.5" }, "NAME_MAX_LENGTH must be a whole number"],
    [
      { BODY_LIMIT: "lots" },
      'BODY_LIMIT must be a size between 16b and 10mb such as "1kb" or "2048", got "lots"',
    ],
    [{ BODY_LIMIT: "1gb" }, "BODY_LIMIT must be a size"],
    [{ DRAIN_TIMEOUT_MS: "-1" }, "DRAIN_TIMEOUT_MS must be a whole number"],
    [{ SHUTDOWN_DELAY_MS: "5s" }, "SHUTDOWN_DELAY_MS must be a whole number"],
    [{ SHUTDOWN_DELAY_MS: "600001" }, "SHUTDOWN_DELAY_MS must be at most 600000"],
    [{ KEEP_ALIVE_TIMEOUT_MS: "65s" }, "KEEP_ALIVE_TIMEOUT_MS must be a whole number"],
    [{ KEEP_ALIVE_TIMEOUT_MS: "0" }, "KEEP_ALIVE_TIMEOUT_MS must be at least 1000"],
    [{ KEEP_ALIVE_TIMEOUT_MS: "3600001" }, "KEEP_ALIVE_TIMEOUT_MS must be at most 3600000"],
    [{ LOG_LEVEL: "verbose" }, "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent"],
  ])("rejects %o", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("names every invalid variable at once", () => {
    expect(() => loadConfig({ PORT: "x", GREETING: "hi" })).toThrow(
      /PORT[\s\S]*GREETING|GREETING[\s\S]*PORT/,
    );
  });
});

describe("startup with a bad configuration", () => {
  it("prints a clear message and exits 1 without listening", async () => {
    const greeter = spawnGreeter({ GREETING: "Hello", BODY_LIMIT: "huge" });
    expect(await greeter.exited).toBe(1);
    expect(greeter.stderr()).toContain("greeter: invalid greeter configuration:");
    expect(greeter.stderr()).toContain('GREETING must contain the placeholder "{name}"');
    expect(greeter.stderr()).toContain("BODY_LIMIT must be a size");
    expect(greeter.stderr()).not.toMatch(/\bat .*:\d+:\d+/);
    expect(greeter.logs.some((l) => l.msg === "greeter listening")).toBe(false);
  });
});
