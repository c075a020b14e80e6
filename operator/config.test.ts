import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

const load = (env: Record<string, string> = {}, argv: string[] = []) =>
  loadConfig({ env, argv, readFile: () => undefined, hostname: () => "host-1" });

describe("loadConfig", () => {
  it("has working defaults: all namespaces, leader election off, secure metrics, kubebuilder's ports", () => {
    expect(load()).toEqual({
      watchNamespaces: [],
      greeterImage: "greeter:0.1.0",
      workers: 2,
      resyncPeriodMs: 36_000_000,
      leaderElect: false,
      leaderElectionNamespace: "default",
      leaderElectionId: "greeter-operator",
      metricsBindAddress: ":8443",
      metricsSecure: true,
      healthProbeBindAddress: ":8081",
      logLevel: "info",
      shutdownTimeoutMs: 30_000,
      identity: "host-1",
    });
  });

  it("reads the environment, and lets flags win over it", () => {
    const config = load(
      {
        WATCH_NAMESPACES: "team-a, team-b",
        WORKERS: "4",
        LEADER_ELECT: "true",
        RESYNC_PERIOD: "1h30m",
        METRICS_ADDR: "127.0.0.1:9090",
        POD_NAMESPACE: "ops",
        POD_NAME: "op-7c9f",
      },
      ["--workers", "8", "--no-leader-elect", "--log-level=debug"],
    );
    expect(config).toMatchObject({
      watchNamespaces: ["team-a", "team-b"],
      workers: 8,
      leaderElect: false,
      resyncPeriodMs: 5_400_000,
      metricsBindAddress: "127.0.0.1:9090",
      leaderElectionNamespace: "ops",
      identity: "op-7c9f",
      logLevel: "debug",
    });
  });

  it("serves plain HTTP on :8080 only when asked, by flag in Go's forms or by variable", () => {
    for (const argv of [["--metrics-secure=false"], ["--no-metrics-secure"], ["--metrics-secure=0"]]) {
      expect(load({}, argv), argv[0]).toMatchObject({ metricsSecure: false, metricsBindAddress: ":8080" });
    }
    expect(load({ METRICS_SECURE: "false" })).toMatchObject({
      metricsSecure: false,
      metricsBindAddress: ":8080",
    });
    expect(load({ METRICS_SECURE: "false", METRICS_ADDR: ":9000" }).metricsBindAddress).toBe(":9000");
    expect(load({ METRICS_SECURE: "false" }, ["--metrics-secure=true"])).toMatchObject({
      metricsSecure: true,
      metricsBindAddress: ":8443",
    });
    expect(load({}, ["--leader-elect=true"]).leaderElect).toBe(true);
    expect(load({ METRICS_CERT_PATH: "/tmp/k8s-metrics-server/metrics-certs" }).metricsCertPath).toBe(
      "/tmp/k8s-metrics-server/metrics-certs",
    );
    expect(() => load({ METRICS_SECURE: "maybe" })).toThrow(/--metrics-secure \/ METRICS_SECURE/);
  });

  it("takes the Lease namespace from the service account when running in a pod", () => {
    const config = loadConfig({ env: {}, argv: [], readFile: () => "operators\n", hostname: () => "h" });
    expect(config.leaderElectionNamespace).toBe("operators");
  });

  it("treats blank variables as unset", () => {
    expect(load({ WORKERS: " ", LOG_LEVEL: "" })).toMatchObject({ workers: 2, logLevel: "info" });
  });

  it("names every bad setting, by flag and variable, in one error", () => {
    let error: unknown;
    try {
      load({ WORKERS: "0", RESYNC_PERIOD: "soon", WATCH_NAMESPACES: "Team_A", PROBE_ADDR: "8081" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain("--workers / WORKERS: must be at least 1");
    expect(message).toContain('--resync-period / RESYNC_PERIOD: "soon" is not a duration');
    expect(message).toContain("--watch-namespaces / WATCH_NAMESPACES");
    expect(message).toContain("--health-probe-bind-address / PROBE_ADDR: must be host:port or :port");
  });

  it("rejects unknown flags and values that are not numbers", () => {
    expect(() => load({}, ["--wrokers", "2"])).toThrow(ConfigError);
    expect(() => load({ WORKERS: "two" })).toThrow(/WORKERS/);
    expect(() => load({ LEADER_ELECT: "yes please" })).toThrow(/LEADER_ELECT/);
    expect(() => load({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
  });
});
