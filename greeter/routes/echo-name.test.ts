import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGreeter, type TestGreeter } from "../../test/support/greeter-server.ts";
import { problemBody } from "../../test/support/problem.ts";

let greeter: TestGreeter;
beforeAll(async () => {
  greeter = await startTestGreeter();
});
afterAll(() => greeter.close());

const postJson = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${greeter.url}/echo-name`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("POST /echo-name", () => {
  it("greets a name sent as JSON", async () => {
    const res = await postJson({ name: "Alice" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ message: "Hello, Alice" });
  });

  it("sends the greeting with its length in bytes, not chunked, on the direct path and through Express", async () => {
    for (const path of ["/echo-name", "/echo-name/"]) {
      const res = await fetch(`${greeter.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Ñandú 🦜" }),
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      expect([res.headers.get("content-length"), res.headers.get("transfer-encoding")], path).toEqual([
        String(bytes.length),
        null,
      ]);
      expect(JSON.parse(bytes.toString("utf8"))).toEqual({ message: "Hello, Ñandú 🦜" });
    }
  });

  it("greets a name sent as a form field", async () => {
    const res = await fetch(`${greeter.url}/echo-name`, {
      method: "POST",
      body: new URLSearchParams({ name: "Bob" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: "Hello, Bob" });
  });

  it("greets a name sent as the name query parameter", async () => {
    const res = await fetch(`${greeter.url}/echo-name?name=Carol`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: "Hello, Carol" });
  });

  it("prefers the body's name over the query's", async () => {
    const res = await fetch(`${greeter.url}/echo-name?name=Query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Body" }),
    });
    expect(await res.json()).toEqual({ message: "Hello, Body" });
  });

  it.each(["Zoë", "李雷", "Ayşe", "Ñandú 🦜"])(
    "greets the unicode name %s in all three forms",
    async (name) => {
      expect(await (await postJson({ name })).json()).toEqual({ message: `Hello, ${name}` });
      const form = await fetch(`${greeter.url}/echo-name`, {
        method: "POST",
        body: new URLSearchParams({ name }),
      });
      expect(await form.json()).toEqual({ message: `Hello, ${name}` });
      const query = await fetch(`${greeter.url}/echo-name?${new URLSearchParams({ name })}`, {
        method: "POST",
      });
      expect(await query.json()).toEqual({ message: `Hello, ${name}` });
    },
  );

  it("answers text/plain when the client asks for it", async () => {
    const res = await postJson({ name: "Zoë" }, { accept: "text/plain" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe("Hello, Zoë");
  });

  it("answers JSON when the client accepts anything or prefers JSON", async () => {
    for (const accept of ["*/*", "application/json", "text/plain;q=0.5, application/json", "image/png"]) {
      const res = await postJson({ name: "Dan" }, { accept });
      expect(res.headers.get("content-type"), accept).toBe("application/json; charset=utf-8");
    }
  });

  it("trims the name", async () => {
    expect(await (await postJson({ name: "  \t Eve  " })).json()).toEqual({ message: "Hello, Eve" });
  });

  it("inserts the name literally, even when it looks like a template", async () => {
    expect(await (await postJson({ name: "$& {name}" })).json()).toEqual({ message: "Hello, $& {name}" });
  });
});

describe("name limits", () => {
  it("accepts a name of exactly the maximum length, counted in characters not bytes", async () => {
    // 256 CJK characters are 768 UTF-8 bytes: still inside the default 1 KiB body limit.
    const name = "李".repeat(256);
    expect(await (await postJson({ name })).json()).toEqual({ message: `Hello, ${name}` });
  });

  it("rejects a name one character over the maximum", async () => {
    const res = await postJson({ name: "a".repeat(257) });
    expect(res.status).toBe(400);
    expect((await problemBody(res)).detail).toBe("The name must be at most 256 characters.");
  });

  it.each([
    ["a missing name", {}, "A name is required"],
    ["an empty name", { name: "" }, "must not be empty"],
    ["a blank name", { name: "   " }, "must not be empty"],
    ["a number", { name: 42 }, "must be a single string"],
    ["a list", { name: ["a", "b"] }, "must be a single string"],
    ["null", { name: null }, "must be a single string"],
    ["a newline inside", { name: "Al\nice" }, "control characters"],
    ["a NUL inside", { name: "Al\u0000ice" }, "control characters"],
    ["an escape sequence", { name: "\u001b[31mred" }, "control characters"],
    ["a line separator", { name: "a\u2028b" }, "control characters"],
    ["a lone surrogate", { name: "a\ud800b" }, "valid Unicode"],
  ])("rejects %s with 400", async (_what, body, detail) => {
    const res = await postJson(body);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = await problemBody(res);
    expect(problem).toMatchObject({ type: "about:blank", title: "Bad Request", status: 400 });
    expect(problem.detail).toContain(detail);
  });

  it("rejects a repeated query parameter", async () => {
    const res = await fetch(`${greeter.url}/echo-name?name=a&name=b`, { method: "POST" });
    expect(res.status).toBe(400);
    expect((await problemBody(res)).detail).toBe("The name must be a single string.");
  });
});

describe("configured greeter", () => {
  it("uses GREETING and NAME_MAX_LENGTH", async () => {
    const custom = await startTestGreeter({
      GREETING: "¡Hola, {name}! Bienvenido, {name}.",
      NAME_MAX_LENGTH: "3",
    });
    try {
      const ok = await fetch(`${custom.url}/echo-name?name=Ana`, { method: "POST" });
      expect(await ok.json()).toEqual({ message: "¡Hola, Ana! Bienvenido, Ana." });
      const long = await fetch(`${custom.url}/echo-name?name=Anna`, { method: "POST" });
      expect(long.status).toBe(400);
      // Three emoji are six UTF-16 units but three characters.
      const emoji = await fetch(`${custom.url}/echo-name?${new URLSearchParams({ name: "🦜🦜🦜" })}`, {
        method: "POST",
      });
      expect(await emoji.json()).toEqual({ message: "¡Hola, 🦜🦜🦜! Bienvenido, 🦜🦜🦜." });
    } finally {
      await custom.close();
    }
  });
});

const FORM = "application/x-www-form-urlencoded";

describe("the direct path and Express's router", () => {
  // POST /echo-name is served without Express's router; these spellings of it go through Express.
  const routedSpellings = ["/echo-name/", "/Echo-Name"];
  const requests: { what: string; headers: Record<string, string>; body?: string }[] = [
    { what: "a JSON name", headers: { "content-type": "application/json" }, body: '{"name":" Zoë "}' },
    { what: "a form name", headers: { "content-type": FORM }, body: "name=Bob" },
    { what: "text preferred", headers: { "content-type": FORM, accept: "text/plain" }, body: "name=Bob" },
    { what: "no name", headers: { "content-type": "application/json" }, body: "{}" },
    { what: "bad JSON", headers: { "content-type": "application/json" }, body: '{"name":' },
    { what: "an unsupported type", headers: { "content-type": "text/csv" }, body: "name" },
    { what: "a body over the limit", headers: { "content-type": FORM }, body: `name=${"a".repeat(200_000)}` },
    { what: "no body", headers: {} },
  ];

  const answer = async (path: string, r: (typeof requests)[number]) => {
    const res = await fetch(`${greeter.url}${path}`, { method: "POST", headers: r.headers, body: r.body });
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (!["date", "x-request-id", "keep-alive"].includes(name)) headers[name] = value;
    });
    const text = await res.text();
    const body = res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text;
    if (typeof body === "object" && body !== null && "requestId" in body) {
      expect(body.requestId, `${path}: ${r.what}`).toBe(res.headers.get("x-request-id"));
      delete body.requestId;
    }
    return { status: res.status, headers, body };
  };

  it.each(requests)("answers $what the same way on both", async (r) => {
    const direct = await answer("/echo-name", r);
    for (const path of routedSpellings) expect(await answer(path, r), path).toEqual(direct);
  });

  it("logs and counts both under the route /echo-name", async () => {
    const before = greeter.logs.length;
    for (const path of ["/echo-name", ...routedSpellings])
      await answer(path, requests[0] as (typeof requests)[0]);
    const lines = greeter.logs.slice(before).filter((l) => l.msg === "request");
    expect(lines.map((l) => [l.route, l.statusCode])).toEqual([
      ["/echo-name", 200],
      ["/echo-name", 200],
      ["/echo-name", 200],
    ]);
    const counted = await greeter.metrics.registry.getSingleMetricAsString("http_requests_total");
    expect(counted).toMatch(/route="\/echo-name",status_code="200"/);
    expect(counted).not.toMatch(/route="\/echo-name\/"|route="\/Echo-Name"/);
  });
});
