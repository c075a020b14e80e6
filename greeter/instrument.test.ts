import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGreeter, type TestGreeter } from "../test/support/greeter-server.ts";
import { problemBody } from "../test/support/problem.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let greeter: TestGreeter;
beforeAll(async () => {
  greeter = await startTestGreeter();
});
afterAll(() => greeter.close());

const greet = (name: string, headers: Record<string, string> = {}) =>
  fetch(`${greeter.url}/echo-name?${new URLSearchParams({ name })}`, { method: "POST", headers });

describe("request id", () => {
  it("echoes the caller's x-request-id and logs it", async () => {
    const res = await greet("Alice", { "x-request-id": "ingress-7f3a/42" });
    expect(res.headers.get("x-request-id")).toBe("ingress-7f3a/42");
    expect(greeter.logs.some((l) => l.requestId === "ingress-7f3a/42" && l.msg === "request")).toBe(true);
  });

  it("generates a UUID when the caller sends none, and returns it in problem bodies", async () => {
    const res = await greet("");
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(UUID);
    expect((await problemBody(res)).requestId).toBe(id);
  });

  it("replaces an id that is too long or has unsafe characters", async () => {
    for (const unsafe of ["a".repeat(129), "has space", 'quo"te', "<script>"]) {
      const res = await greet("Alice", { "x-request-id": unsafe });
      expect(res.headers.get("x-request-id"), unsafe).toMatch(UUID);
    }
  });

  it("gives every request its own id", async () => {
    const ids = new Set<string | null>();
    for (let i = 0; i < 20; i++) ids.add((await greet("Alice")).headers.get("x-request-id"));
    expect(ids.size).toBe(20);
  });
});

describe("access log", () => {
  it("writes one JSON line per request with route, status and duration but never the name at info", async () => {
    const name = "Secret-Name-Zoë";
    const id = "log-test-1";
    await fetch(`${greeter.url}/echo-name?name=${encodeURIComponent(name)}`, {
      method: "POST",
      headers: { "x-request-id": id, "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
    const lines = greeter.logs.filter((l) => l.requestId === id);
    expect(lines).toEqual([
      expect.objectContaining({
        level: "info",
        msg: "request",
        method: "POST",
        route: "/echo-name",
        statusCode: 200,
        durationMs: expect.any(Number),
      }),
    ]);
    expect(JSON.stringify(greeter.logs)).not.toContain("Secret-Name");
  });

  it("logs the name only at debug level", async () => {
    const debug = await startTestGreeter({ LOG_LEVEL: "debug" });
    try {
      await fetch(`${debug.url}/echo-name?name=Zo%C3%AB`, {
        method: "POST",
        headers: { "x-request-id": "dbg" },
      });
      const greeted = debug.logs.find((l) => l.msg === "greeted");
      expect(greeted).toMatchObject({ level: "debug", requestId: "dbg", name: "Zoë" });
    } finally {
      await debug.close();
    }
  });

  it("logs probe and scrape requests at debug, not info", async () => {
    await fetch(`${greeter.url}/healthz`, { headers: { "x-request-id": "probe-1" } });
    await fetch(`${greeter.metricsUrl}/metrics`, { headers: { "x-request-id": "scrape-1" } });
    expect(greeter.logs.filter((l) => l.requestId === "probe-1" || l.requestId === "scrape-1")).toEqual([]);
  });
});
