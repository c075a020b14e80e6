import { Agent, request as httpRequest } from "node:http";
import { getContainerRuntimeClient, type StartedTestContainer, Wait } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/free-port.ts";
import { GREETER_IMAGE, HardenedContainer, VERSION } from "./images.ts";

const DRAIN_TIMEOUT_MS = 5_000;

type Greeter = { container: StartedTestContainer; url: string; metricsUrl: string };

async function startGreeter(): Promise<Greeter> {
  const port = await freePort();
  const metricsPort = await freePort();
  const container = await new HardenedContainer(GREETER_IMAGE)
    .withEnvironment({
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      HOST: "127.0.0.1",
      DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
    })
    .withWaitStrategy(Wait.forLogMessage(/greeter listening/))
    .start();
  return { container, url: `http://127.0.0.1:${port}`, metricsUrl: `http://127.0.0.1:${metricsPort}` };
}

async function exitCode(container: StartedTestContainer): Promise<number> {
  const client = await getContainerRuntimeClient();
  const info = await client.container.getById(container.getId()).inspect();
  return info.State.ExitCode;
}

describe("greeter image", () => {
  let greeter: Greeter;
  beforeAll(async () => {
    greeter = await startGreeter();
  });
  afterAll(async () => {
    await greeter?.container.stop({ timeout: 0, remove: true });
  });

  it("greets on POST /echo-name", async () => {
    const res = await fetch(`${greeter.url}/echo-name`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Ada" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: "Hello, Ada" });
  });

  it("serves Prometheus metrics carrying the image's version on its metrics port, not on its public port", async () => {
    expect((await fetch(`${greeter.url}/metrics`)).status).toBe(404);
    const res = await fetch(`${greeter.metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const body = await res.text();
    expect(body).toContain("process_cpu_user_seconds_total");
    expect(body).toContain(`version="${VERSION}"`);
  });
});

describe("greeter image on docker stop", () => {
  const stopped: StartedTestContainer[] = [];
  afterAll(async () => {
    const client = await getContainerRuntimeClient();
    for (const c of stopped) await client.container.getById(c.getId()).remove({ force: true });
  });

  it("drains and exits 0 by itself, within its drain timeout, with a client's keep-alive connection open", async () => {
    const { container, url } = await startGreeter();
    stopped.push(container);
    // An idle keep-alive connection, as a scraper or load balancer holds, must not hold up the shutdown.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${url}/echo-name`, {
        method: "POST",
        agent,
        headers: { "content-type": "application/json" },
      });
      req.on("response", (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      req.end(JSON.stringify({ name: "keep-alive" }));
    });
    expect(status).toBe(200);
    expect(agent.freeSockets).not.toEqual({});

    // docker waits this long after SIGTERM before SIGKILL (exit 137); the greeter exits 1 if it has to cut
    // connections at its drain timeout, and 0 only when everything finished before it.
    await container.stop({ timeout: DRAIN_TIMEOUT_MS + 20_000, remove: false });
    agent.destroy();
    expect(await exitCode(container)).toBe(0);
  });
});
