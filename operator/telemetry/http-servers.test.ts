import { Counter, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { type Listening, parseBindAddress, startMetricsServer, startProbeServer } from "./http-servers.ts";

describe("probe and metrics servers", () => {
  let server: Listening | undefined;
  afterEach(async () => server?.close());

  it("answers /readyz 503 naming the failing checks, and 200 once all pass; /healthz always 200", async () => {
    let synced = false;
    server = await startProbeServer("127.0.0.1:0", [
      { name: "informer greeters", check: () => (synced ? undefined : "not synced") },
      { name: "informer pods", check: () => undefined },
    ]);
    const base = `http://127.0.0.1:${server.port}`;
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe("informer greeters: not synced\n");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    synced = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
  });

  it("serves the registry on /metrics", async () => {
    const registry = new Registry();
    new Counter({ name: "probe_test_total", help: "x", registers: [registry] }).inc();
    server = await startMetricsServer("127.0.0.1:0", registry);
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("probe_test_total 1");
  });

  it("parses bind addresses", () => {
    expect(parseBindAddress(":8080")).toEqual({ host: undefined, port: 8080 });
    expect(parseBindAddress("0.0.0.0:1")).toEqual({ host: "0.0.0.0", port: 1 });
    expect(parseBindAddress("[::1]:9")).toEqual({ host: "::1", port: 9 });
    expect(() => parseBindAddress("8080")).toThrow(/host:port/);
  });
});
