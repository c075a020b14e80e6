import { once } from "node:events";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGreeter, type TestGreeter } from "../test/support/greeter-server.ts";
import { problemBody } from "../test/support/problem.ts";

let greeter: TestGreeter;
beforeAll(async () => {
  greeter = await startTestGreeter();
});
afterAll(() => greeter.close());

const post = (headers: Record<string, string>, body: string) =>
  fetch(`${greeter.url}/echo-name`, { method: "POST", headers, body });

describe("reading the body of POST /echo-name", () => {
  it.each([
    "application/json; charset=UTF-8",
    'application/json; charset="utf-8"',
    "Application/JSON",
    "application/json;charset=utf8",
  ])("accepts %s", async (type) => {
    const res = await post({ "content-type": type }, '{"name":"Zoë"}');
    expect(await res.json()).toEqual({ message: "Hello, Zoë" });
  });

  it("accepts a form with UTF-8 percent-encoding and + for spaces", async () => {
    const res = await post(
      { "content-type": "application/x-www-form-urlencoded" },
      "name=Zo%C3%AB+Ay%C5%9Fe",
    );
    expect(await res.json()).toEqual({ message: "Hello, Zoë Ayşe" });
  });

  it("rejects a form that repeats the name", async () => {
    const res = await post({ "content-type": "application/x-www-form-urlencoded" }, "name=a&name=b");
    expect(res.status).toBe(400);
    expect((await problemBody(res)).detail).toBe("The name must be a single string.");
  });

  it("rejects a form with more than 20 fields with 413", async () => {
    const fields = Array.from({ length: 21 }, (_, i) => `f${i}=x`).join("&");
    const res = await post({ "content-type": "application/x-www-form-urlencoded" }, `name=Al&${fields}`);
    expect(res.status).toBe(413);
    expect((await problemBody(res)).detail).toBe("The form has too many fields.");
  });

  it("reads JSON after leading whitespace, treats a blank body as {}, and refuses a bare value after it", async () => {
    const json = { "content-type": "application/json" };
    expect(await (await post(json, ' \r\n\t{"name":"Zoë"}\n')).json()).toEqual({ message: "Hello, Zoë" });
    const blank = await post(json, " \n\t ");
    expect([blank.status, (await problemBody(blank)).detail]).toEqual([
      400,
      expect.stringContaining("A name is required"),
    ]);
    const bare = await post(json, '  "Zoë"');
    expect([bare.status, (await problemBody(bare)).detail]).toEqual([
      400,
      "The request body is not valid JSON.",
    ]);
  });

  it("treats an empty JSON body as no name", async () => {
    const res = await post({ "content-type": "application/json", "content-length": "0" }, "");
    expect(res.status).toBe(400);
    expect((await problemBody(res)).detail).toContain("A name is required");
  });

  it("reads the rest of a rejected body, so the connection keeps serving", async () => {
    const socket = connect(greeter.port, "127.0.0.1");
    await once(socket, "connect");
    let received = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      received += chunk;
    });
    const big = JSON.stringify({ name: "x".repeat(5000) });
    socket.write(
      `POST /echo-name HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n${big}`,
    );
    socket.write(
      "POST /echo-name?name=Again HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    await once(socket, "close");
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    expect(statuses).toEqual(["413", "200"]);
    expect(received).toContain('{"message":"Hello, Again"}');
  });
});
