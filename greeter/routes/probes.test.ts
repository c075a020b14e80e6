import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGreeter, type TestGreeter } from "../../test/support/greeter-server.ts";
import { problemBody } from "../../test/support/problem.ts";

let greeter: TestGreeter;
beforeAll(async () => {
  greeter = await startTestGreeter();
});
afterAll(() => greeter.close());

describe("probes", () => {
  it("GET /healthz answers 200", async () => {
    const res = await fetch(`${greeter.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("HEAD works on the probes", async () => {
    expect((await fetch(`${greeter.url}/healthz`, { method: "HEAD" })).status).toBe(200);
    expect((await fetch(`${greeter.url}/readyz`, { method: "HEAD" })).status).toBe(200);
  });

  it("GET /readyz answers 200 while ready and 503 once shutdown begins, while /healthz stays 200", async () => {
    expect(await (await fetch(`${greeter.url}/readyz`)).json()).toEqual({ status: "ready" });
    greeter.setReady(false);
    try {
      const res = await fetch(`${greeter.url}/readyz`);
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect((await problemBody(res)).detail).toContain("shutting down");
      // Keep-alive clients are told to reconnect (elsewhere) while draining.
      expect(res.headers.get("connection")).toBe("close");
      expect((await fetch(`${greeter.url}/healthz`)).status).toBe(200);
    } finally {
      greeter.setReady(true);
    }
  });
});
