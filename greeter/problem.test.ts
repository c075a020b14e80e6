import { Gauge } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGreeter, type TestGreeter } from "../test/support/greeter-server.ts";
import { problemBody } from "../test/support/problem.ts";
import { createMetrics } from "./metrics.ts";

let greeter: TestGreeter;
beforeAll(async () => {
  greeter = await startTestGreeter();
});
afterAll(() => greeter.close());

/** Asserts an RFC 9457 problem response and returns its body. */
async function expectProblem(res: Response, status: number, title: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = await problemBody(res);
  expect(body).toEqual({
    type: "about:blank",
    title,
    status,
    detail: expect.any(String),
    requestId: res.headers.get("x-request-id"),
  });
  expect(body.detail.length).toBeGreaterThan(10);
  return body as { detail: string };
}

const post = (init: RequestInit & { query?: string } = {}) =>
  fetch(`${greeter.url}/echo-name${init.query ?? ""}`, { method: "POST", ...init });

describe("400 Bad Request", () => {
  it("for malformed JSON", async () => {
    const res = await post({ headers: { "content-type": "application/json" }, body: '{"name": "Al' });
    const { detail } = await expectProblem(res, 400, "Bad Request");
    expect(detail).toBe("The request body is not valid JSON.");
  });

  it("for JSON that is not an object or array", async () => {
    const res = await post({ headers: { "content-type": "application/json" }, body: '"Alice"' });
    expect((await expectProblem(res, 400, "Bad Request")).detail).toBe("The request body is not valid JSON.");
  });

  it("for a missing name, telling how to send one", async () => {
    const res = await post({ headers: { "content-type": "application/json" }, body: "{}" });
    expect((await expectProblem(res, 400, "Bad Request")).detail).toContain('{"name": "..."}');
  });
});

describe("413 Content Too Large", () => {
  const jsonOfSize = (bytes: number) => {
    const shell = JSON.stringify({ name: "Al", pad: "" });
    return JSON.stringify({ name: "Al", pad: "x".repeat(bytes - shell.length) });
  };

  it("accepts a body of exactly 1 KiB", async () => {
    const body = jsonOfSize(1024);
    expect(Buffer.byteLength(body)).toBe(1024);
    const res = await post({ headers: { "content-type": "application/json" }, body });
    expect(res.status).toBe(200);
  });

  it("rejects a JSON body one byte over 1 KiB", async () => {
    const res = await post({ headers: { "content-type": "application/json" }, body: jsonOfSize(1025) });
    const { detail } = await expectProblem(res, 413, "Payload Too Large");
    expect(detail).toBe("The request body is larger than the limit of 1024 bytes.");
  });

  it("rejects an oversized form body", async () => {
    const res = await post({ body: new URLSearchParams({ name: "Al", pad: "x".repeat(2000) }) });
    await expectProblem(res, 413, "Payload Too Large");
  });

  it("rejects an oversized chunked body that declares no length", async () => {
    const chunk = new TextEncoder().encode(`{"name":"${"x".repeat(600)}`);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await post({
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await expectProblem(res, 413, "Payload Too Large");
  });

  it("follows BODY_LIMIT", async () => {
    const big = await startTestGreeter({ BODY_LIMIT: "2kb", NAME_MAX_LENGTH: "1500" });
    try {
      const name = "n".repeat(1500);
      const ok = await fetch(`${big.url}/echo-name`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name }),
      });
      expect(await ok.json()).toEqual({ message: `Hello, ${name}` });
    } finally {
      await big.close();
    }
  });
});

describe("415 Unsupported Media Type", () => {
  it("for a text/plain body", async () => {
    const res = await post({ headers: { "content-type": "text/plain" }, body: "Alice" });
    const { detail } = await expectProblem(res, 415, "Unsupported Media Type");
    expect(detail).toContain('"text/plain"');
    expect(res.headers.get("accept-post")).toBe("application/json, application/x-www-form-urlencoded");
  });

  it("for a body without a content type", async () => {
    const res = await post({ body: new TextEncoder().encode('{"name":"Alice"}') });
    const { detail } = await expectProblem(res, 415, "Unsupported Media Type");
    expect(detail).toContain("without a content type");
  });

  it("for a charset other than UTF-8", async () => {
    const res = await post({ headers: { "content-type": "application/json; charset=latin1" }, body: "{}" });
    expect((await expectProblem(res, 415, "Unsupported Media Type")).detail).toContain("latin1");
  });

  it("for a compressed body", async () => {
    const res = await post({
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: '{"name":"Al"}',
    });
    expect((await expectProblem(res, 415, "Unsupported Media Type")).detail).toContain("gzip");
  });
});

describe("405 Method Not Allowed", () => {
  it.each(["GET", "PUT", "DELETE", "PATCH"])("for %s /echo-name, with Allow", async (method) => {
    const res = await fetch(`${greeter.url}/echo-name`, { method });
    await expectProblem(res, 405, "Method Not Allowed");
    expect(res.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it.each(["/healthz", "/readyz"])("for POST %s, with Allow", async (path) => {
    const res = await fetch(`${greeter.url}${path}`, { method: "POST" });
    await expectProblem(res, 405, "Method Not Allowed");
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });

  it("for POST /metrics on the metrics port, with Allow", async () => {
    const res = await fetch(`${greeter.metricsUrl}/metrics`, { method: "POST" });
    await expectProblem(res, 405, "Method Not Allowed");
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });

  it("answers OPTIONS with 204 and Allow", async () => {
    const res = await fetch(`${greeter.url}/echo-name`, { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("POST, OPTIONS");
  });
});

describe("404 Not Found", () => {
  it.each(["/", "/echo", "/echo-name/extra", "/.env", "/wp-login.php?x=1"])("for %s", async (path) => {
    const res = await fetch(`${greeter.url}${path}`, { method: "POST" });
    const { detail } = await expectProblem(res, 404, "Not Found");
    expect(detail).toContain("POST /echo-name");
  });
});

describe("500 Internal Server Error", () => {
  it("reveals no stack trace or internal message, and logs the error", async () => {
    const metrics = createMetrics({ version: "test" });
    new Gauge({
      name: "broken_collector",
      help: "A collector that fails, standing in for any bug.",
      registers: [metrics.registry],
      collect() {
        throw new Error("secret internal detail");
      },
    });
    const broken = await startTestGreeter({}, { metrics });
    try {
      const res = await fetch(`${broken.metricsUrl}/metrics`);
      const text = await res.clone().text();
      const { detail } = await expectProblem(res, 500, "Internal Server Error");
      expect(detail).toBe("The server failed to answer this request.");
      expect(text).not.toContain("secret");
      expect(text).not.toMatch(/\bat .*:\d+/);
      const logged = broken.logs.find((l) => l.msg === "unexpected error");
      expect(logged?.level).toBe("error");
      expect(JSON.stringify(logged?.err)).toContain("secret internal detail");
    } finally {
      await broken.close();
    }
  });
});
