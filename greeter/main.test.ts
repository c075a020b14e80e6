import { once } from "node:events";
import { Agent, get as httpGet, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect, createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ChildGreeter,
  spawnGreeter,
  startChildGreeter,
  waitForLog,
} from "../test/support/greeter-server.ts";
import { sampleValue, scrape } from "../test/support/prom-text.ts";

const children: ChildGreeter[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill("SIGKILL");
});

async function start(env: Record<string, string> = {}) {
  const greeter = await startChildGreeter(env);
  children.push(greeter);
  return greeter;
}

/** Opens a raw connection and sends `text`, so a test controls exactly how much of a request has arrived. */
async function rawRequest(port: number, text: string) {
  const socket: Socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  let response = "";
  socket.setEncoding("utf8").on("data", (chunk: string) => {
    response += chunk;
  });
  const ended = once(socket, "close").then(() => response);
  socket.write(text);
  return { socket, ended };
}

const BODY = '{"name":"Zoë"}';
const SLOW_POST_HEAD = `POST /echo-name HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n`;

/** Starts a greeting whose body is held back, and waits until the server counts it in flight. */
async function startSlowGreeting(greeter: { port: number; url: string; metricsUrl: string }) {
  const request = await rawRequest(greeter.port, `${SLOW_POST_HEAD}{"name":`);
  await expect
    .poll(async () => sampleValue(await scrape(greeter.metricsUrl), "http_requests_in_flight"), {
      timeout: 10_000,
    })
    .toBe(2);
  return {
    ...request,
    finish: () => request.socket.write(Buffer.from(BODY).subarray(Buffer.byteLength('{"name":'))),
  };
}

/** GETs `url` through `agent` (a keep-alive one reuses its connection); resolves once the body has arrived. */
function get(agent: Agent, url: string) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; socket: Socket }>((resolve, reject) => {
    httpGet(url, { agent }, (res) => {
      const socket = res.socket;
      res.resume().once("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, socket }));
    }).once("error", reject);
  });
}

/** POSTs a greeting on a fresh connection. */
const greet = (greeter: { url: string }) =>
  fetch(`${greeter.url}/echo-name`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: BODY,
  });

describe("graceful shutdown of node greeter/main.ts", () => {
  it("during SHUTDOWN_DELAY_MS after SIGTERM serves new connections with Connection: close while /readyz fails; then refuses them, finishes those in flight and exits 0", async () => {
    const greeter = await start({ SHUTDOWN_DELAY_MS: "3000", DRAIN_TIMEOUT_MS: "60000" });
    greeter.child.kill("SIGTERM");
    await waitForLog(greeter, (l) => l.msg.startsWith("shutting down"));

    // A proxy that has not yet seen the endpoint go away still gets its answer, and is told to reconnect.
    const res = await greet(greeter);
    expect(res.status).toBe(200);
    expect(res.headers.get("connection")).toBe("close");
    expect(await res.json()).toEqual({ message: "Hello, Zoë" });
    expect((await fetch(`${greeter.url}/readyz`)).status).toBe(503);
    // Arrives during the delay and is still running when the delay ends.
    const slow = await startSlowGreeting(greeter);

    await waitForLog(greeter, (l) => l.msg.startsWith("shutdown delay over"));
    await expect(fetch(`${greeter.url}/healthz`)).rejects.toThrow();

    slow.finish();
    const response = await slow.ended;
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(response).toMatch(/\r\nconnection: close\r\n/i);
    expect(response).toContain('{"message":"Hello, Zoë"}');
    expect(await greeter.exited).toBe(0);
    expect(greeter.logs.map((l) => l.msg)).toContain("drained: all requests finished");
  });

  it("closes a keep-alive connection left idle for a second after SIGTERM, while the listener still serves new ones during the delay", async () => {
    const greeter = await start({ SHUTDOWN_DELAY_MS: "60000" });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(agent, `${greeter.url}/healthz`);
      expect(first.headers.connection).toBe("keep-alive");
      const closed = once(first.socket, "close");

      greeter.child.kill("SIGTERM");
      await waitForLog(greeter, (l) => l.msg.startsWith("shutting down"));
      await closed;
      expect(greeter.child.exitCode).toBeNull();

      // The client reconnects, and the greeter, still in its delay, answers and closes that connection too.
      const second = await get(agent, `${greeter.url}/healthz`);
      expect(second.status).toBe(200);
      expect(second.socket).not.toBe(first.socket);
      expect(second.headers.connection).toBe("close");
    } finally {
      agent.destroy();
    }
  });

  it("loses no request of keep-alive clients that send back to back through SIGTERM and the shutdown delay", async () => {
    const greeter = await start({ SHUTDOWN_DELAY_MS: "60000" });
    const errors: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    let stop = false;
    // One keep-alive pool, as a service's client has: each loop sends its next request as soon as the last is answered.
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const loop = async () => {
      while (!stop) {
        await new Promise<void>((resolve) => {
          const req = httpRequest(
            `${greeter.url}/echo-name`,
            { agent, method: "POST", headers: { "content-type": "application/json" } },
            (res) => {
              statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
              res.resume().once("end", resolve);
            },
          );
          req.once("error", (err: NodeJS.ErrnoException) => {
            errors[err.code ?? err.message] = (errors[err.code ?? err.message] ?? 0) + 1;
            resolve();
          });
          req.end(BODY);
        });
      }
    };
    try {
      const loops = Array.from({ length: 16 }, loop);
      await new Promise((f) => setTimeout(f, 500));
      greeter.child.kill("SIGTERM");
      await waitForLog(greeter, (l) => l.msg.startsWith("shutting down"));
      // Long enough for the clients to move from their kept-alive connections to fresh ones.
      await new Promise((f) => setTimeout(f, 1500));
      stop = true;
      await Promise.all(loops);
    } finally {
      agent.destroy();
    }
    expect(errors).toEqual({});
    expect(Object.keys(statuses)).toEqual(["200"]);
    expect(greeter.child.exitCode).toBeNull();
  });

  it("answers a request in flight at SIGTERM with Connection: close, and closes its connection", async () => {
    const greeter = await start({ SHUTDOWN_DELAY_MS: "60000" });
    const slow = await startSlowGreeting(greeter);
    greeter.child.kill("SIGTERM");
    await waitForLog(greeter, (l) => l.msg.startsWith("shutting down"));

    slow.finish();
    const response = await slow.ended;
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(response).toMatch(/\r\nconnection: close\r\n/i);
    expect(response).toContain('{"message":"Hello, Zoë"}');
    expect(greeter.child.exitCode).toBeNull();
  });

  it("with SHUTDOWN_DELAY_MS=0, on SIGTERM fails readiness, refuses new connections at once, finishes the in-flight request, then exits 0", async () => {
    const greeter = await start({ SHUTDOWN_DELAY_MS: "0", DRAIN_TIMEOUT_MS: "60000" });
    const slow = await startSlowGreeting(greeter);
    // A readiness probe whose headers are still arriving when the signal comes.
    const probe = await rawRequest(greeter.port, "GET /readyz HTTP/1.1\r\nHost: t\r\n");

    greeter.child.kill("SIGTERM");
    await waitForLog(greeter, (l) => l.msg.startsWith("shutting down"));

    probe.socket.write("\r\n");
    const probeResponse = await probe.ended;
    expect(probeResponse).toMatch(/^HTTP\/1\.1 503 /);
    expect(probeResponse).toContain("shutting down");

    await expect(fetch(`${greeter.url}/healthz`)).rejects.toThrow();

    slow.finish();
    const response = await slow.ended;
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(response).toContain('{"message":"Hello, Zoë"}');

    expect(await greeter.exited).toBe(0);
    expect(greeter.logs.map((l) => l.msg)).toContain("drained: all requests finished");
    expect(greeter.logs.map((l) => l.msg)).not.toContain("shutdown delay over: draining in-flight requests");
  });

  it("does not wait for idle keep-alive connections once it drains", async () => {
    const greeter = await start({ SHUTDOWN_DELAY_MS: "0", DRAIN_TIMEOUT_MS: "60000" });
    const idle = await rawRequest(greeter.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    greeter.child.kill("SIGTERM");
    expect(await greeter.exited).toBe(0);
    expect(await idle.ended).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("on SIGINT (a terminal's Ctrl-C) drains at once, without the shutdown delay, and exits 0", async () => {
    const greeter = await start({ SHUTDOWN_DELAY_MS: "60000" });
    greeter.child.kill("SIGINT");
    expect(await greeter.exited).toBe(0);
  });

  it("cuts requests still running after DRAIN_TIMEOUT_MS and exits 1", async () => {
    const greeter = await start({ SHUTDOWN_DELAY_MS: "0", DRAIN_TIMEOUT_MS: "200" });
    const slow = await startSlowGreeting(greeter);
    greeter.child.kill("SIGTERM");
    expect(await greeter.exited).toBe(1);
    expect(await slow.ended).toBe("");
    expect(greeter.logs.find((l) => l.msg.startsWith("drain timeout"))?.level).toBe("warn");
    expect(greeter.logs.map((l) => l.msg)).not.toContain("drained: all requests finished");
  });

  it.each([
    ["during the shutdown delay", "60000"],
    ["while draining", "0"],
  ])("exits 1 at once on a second signal %s", async (_phase, delay) => {
    const greeter = await start({ SHUTDOWN_DELAY_MS: delay, DRAIN_TIMEOUT_MS: "60000" });
    await startSlowGreeting(greeter);
    greeter.child.kill("SIGTERM");
    await waitForLog(greeter, (l) => l.msg.startsWith("shutting down"));
    greeter.child.kill("SIGTERM");
    expect(await greeter.exited).toBe(1);
  });
});

describe("the metrics listener of node greeter/main.ts", () => {
  it("listens on METRICS_PORT beside PORT, keeps being scraped during the shutdown delay, and closes with the public port", async () => {
    const greeter = await start({ SHUTDOWN_DELAY_MS: "2000", DRAIN_TIMEOUT_MS: "60000" });
    expect(greeter.metricsUrl).not.toBe(greeter.url);
    expect((await fetch(`${greeter.url}/metrics`)).status).toBe(404);

    greeter.child.kill("SIGTERM");
    await waitForLog(greeter, (l) => l.msg.startsWith("shutting down"));
    const duringDelay = await fetch(`${greeter.metricsUrl}/metrics`);
    expect(duringDelay.status).toBe(200);
    expect(duringDelay.headers.get("connection")).toBe("close");

    expect(await greeter.exited).toBe(0);
    await expect(fetch(`${greeter.metricsUrl}/metrics`)).rejects.toThrow();
  });

  it("finishes a scrape still running when the drain begins before it exits", async () => {
    const greeter = await start({ SHUTDOWN_DELAY_MS: "0", DRAIN_TIMEOUT_MS: "60000" });
    const metricsPort = Number(new URL(greeter.metricsUrl).port);
    // A scrape whose request line has arrived but whose headers have not.
    const scrapeRequest = await rawRequest(metricsPort, "GET /metrics HTTP/1.1\r\nHost: t\r\n");
    greeter.child.kill("SIGTERM");
    await waitForLog(greeter, (l) => l.msg.startsWith("shutting down"));
    scrapeRequest.socket.write("\r\n");
    expect(await scrapeRequest.ended).toMatch(/^HTTP\/1\.1 200 [\s\S]*greeter_build_info/);
    expect(await greeter.exited).toBe(0);
  });
});

describe("access log of node greeter/main.ts", () => {
  it("writes a lone request's line to stdout without waiting for more traffic to fill the batch", async () => {
    const greeter = await start();
    expect((await greet(greeter)).status).toBe(200);
    const line = await waitForLog(greeter, (l) => l.msg === "request");
    expect(line).toMatchObject({ level: "info", route: "/echo-name", statusCode: 200, method: "POST" });
  });
});

describe("keep-alive of node greeter/main.ts", () => {
  it("advertises a 65 s keep-alive timeout by default, above the 60 s idle timeout of common load balancers", async () => {
    const greeter = await start();
    const agent = new Agent({ keepAlive: true });
    try {
      const res = await get(agent, `${greeter.url}/healthz`);
      expect(res.headers["keep-alive"]).toBe("timeout=65");
    } finally {
      agent.destroy();
    }
  });

  it("closes a connection idle for KEEP_ALIVE_TIMEOUT_MS", async () => {
    const greeter = await start({ KEEP_ALIVE_TIMEOUT_MS: "1000" });
    // A raw socket: node:http's Agent would honour the advertised timeout and close the connection itself.
    const client = await rawRequest(greeter.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    const response = await client.ended;
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(response).toMatch(/\r\nkeep-alive: timeout=1\r\n/i);
    expect(greeter.child.exitCode).toBeNull();
  });
});

describe("startup of node greeter/main.ts", () => {
  it("exits 1 with a fatal log line when its port is taken", async () => {
    const squatter = createServer().listen(0, "127.0.0.1");
    await once(squatter, "listening");
    try {
      const { port } = squatter.address() as { port: number };
      const greeter = spawnGreeter({ PORT: String(port) });
      children.push(greeter);
      expect(await greeter.exited).toBe(1);
      const fatal = greeter.logs.find((l) => l.level === "fatal");
      expect(fatal?.msg).toBe("server failed");
      expect(JSON.stringify(fatal?.err)).toContain("EADDRINUSE");
    } finally {
      squatter.close();
    }
  });

  it("exits 1 with a fatal log line when its metrics port is taken", async () => {
    const squatter = createServer().listen(0, "127.0.0.1");
    await once(squatter, "listening");
    try {
      const { port } = squatter.address() as { port: number };
      const greeter = spawnGreeter({ METRICS_PORT: String(port) });
      children.push(greeter);
      expect(await greeter.exited).toBe(1);
      expect(JSON.stringify(greeter.logs.find((l) => l.level === "fatal")?.err)).toContain("EADDRINUSE");
      expect(greeter.logs.some((l) => l.msg === "greeter listening")).toBe(false);
    } finally {
      squatter.close();
    }
  });
});
