import pino from "pino";
import { Counter, Registry } from "prom-client";
import { Agent, request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { DelegatedAuth } from "../runtime/delegated-auth.ts";
import { KubeClient } from "../runtime/kube-client.ts";
import { ServingCert } from "../runtime/serving-cert.ts";
import { type FakeApiServer, sendJson, startFakeApiServer } from "../runtime/testing/fake-api-server.ts";
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

  it("serves HTTPS with its certificate, and answers a refused request with the decision's status", async () => {
    const api: FakeApiServer = await startFakeApiServer((req, res) => {
      const body = JSON.parse(req.body);
      sendJson(res, 201, {
        ...body,
        status: { authenticated: body.spec.token === "good", user: { username: "u" } },
      });
    });
    const client = new KubeClient(api.kubeConfig());
    const lines: string[] = [];
    const log = pino({ level: "debug" }, { write: (l: string) => lines.push(l) });
    const registry = new Registry();
    new Counter({ name: "probe_test_total", help: "x", registers: [registry] }).inc();
    try {
      const tls = new ServingCert({ selfSigned: { commonName: "test", altNames: ["127.0.0.1"] }, log });
      server = await startMetricsServer("127.0.0.1:0", registry, {
        tls,
        auth: new DelegatedAuth({ client }),
        log,
      });
      const url = `https://127.0.0.1:${server.port}/metrics`;
      const dispatcher = new Agent({ connect: { ca: tls.current.cert } });
      const anonymous = await request(url, { dispatcher });
      expect(anonymous.statusCode).toBe(401);
      expect(await anonymous.body.text()).toBe("Unauthorized\n");
      const bad = await request(url, { dispatcher, headers: { authorization: "Bearer s3cret-bad" } });
      expect(bad.statusCode).toBe(401);
      await bad.body.text();
      const good = await request(url, { dispatcher, headers: { authorization: "Bearer good" } });
      expect(good.statusCode).toBe(403);
      expect(await good.body.text()).toBe("Authorization denied for user u\n");
      expect(lines.join("")).toContain("metrics request refused");
      expect(lines.join("")).not.toContain("s3cret-bad");
      await expect(fetch(`http://127.0.0.1:${server.port}/metrics`)).rejects.toThrow();
    } finally {
      await client.close();
      await api.close();
    }
  });

  it("answers 500 when a collector throws, instead of an unhandled rejection that would exit the operator", async () => {
    const registry = new Registry();
    new Counter({
      name: "broken_total",
      help: "x",
      registers: [registry],
      collect() {
        throw new Error("collector failed");
      },
    });
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on("unhandledRejection", onRejection);
    try {
      server = await startMetricsServer("127.0.0.1:0", registry, { log: pino({ level: "silent" }) });
      expect((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status).toBe(500);
      expect(rejections).toEqual([]);
    } finally {
      process.off("unhandledRejection", onRejection);
    }
  });

  it("parses bind addresses", () => {
    expect(parseBindAddress(":8080")).toEqual({ host: undefined, port: 8080 });
    expect(parseBindAddress("0.0.0.0:1")).toEqual({ host: "0.0.0.0", port: 1 });
    expect(parseBindAddress("[::1]:9")).toEqual({ host: "::1", port: 9 });
    expect(() => parseBindAddress("8080")).toThrow(/host:port/);
  });
});
