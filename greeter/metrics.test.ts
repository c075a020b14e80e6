import { randomBytes, randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestGreeter, type TestGreeter } from "../test/support/greeter-server.ts";
import { type Sample, sampleValue, scrape } from "../test/support/prom-text.ts";
import { DURATION_BUCKETS } from "./metrics.ts";

let greeter: TestGreeter;
beforeEach(async () => {
  greeter = await startTestGreeter({ VERSION: "1.2.3" });
});
afterEach(() => greeter.close());

const greet = (name: string) =>
  fetch(`${greeter.url}/echo-name`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });

const echoLabels = (status: string) => ({ method: "POST", route: "/echo-name", status_code: status });

describe("GET /metrics", () => {
  it("is served on the metrics port only, never on the public port a NodePort or LoadBalancer exposes", async () => {
    expect((await fetch(`${greeter.metricsUrl}/metrics`)).status).toBe(200);
    const onPublicPort = await fetch(`${greeter.url}/metrics`);
    expect(onPublicPort.status).toBe(404);
    expect(await onPublicPort.text()).not.toContain("process_cpu_seconds_total");
  });

  it("is all the metrics port serves: no greeting and no probe there", async () => {
    const greeting = await fetch(`${greeter.metricsUrl}/echo-name`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Alice" }),
    });
    expect(greeting.status).toBe(404);
    expect((await fetch(`${greeter.metricsUrl}/healthz`)).status).toBe(404);
  });

  it("exposes the Prometheus text format with build info and prom-client's default metrics", async () => {
    const res = await fetch(`${greeter.metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = await scrape(greeter.metricsUrl);
    expect(sampleValue(samples, "greeter_build_info", { version: "1.2.3" })).toBe(1);
    const names = new Set(samples.map((s) => s.name));
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_p99_seconds",
      "nodejs_heap_size_used_bytes",
      "http_requests_in_flight",
      "greeter_greetings_total",
    ]) {
      expect(names, name).toContain(name);
    }
  });
});

describe("request metrics", () => {
  it("count requests by method, route template and status code", async () => {
    await greet("Alice");
    await greet("Bob");
    await greet("");
    await fetch(`${greeter.url}/echo-name`);
    await fetch(`${greeter.url}/no/such/path`);
    const samples = await scrape(greeter.metricsUrl);
    expect(sampleValue(samples, "http_requests_total", echoLabels("200"))).toBe(2);
    expect(sampleValue(samples, "http_requests_total", echoLabels("400"))).toBe(1);
    expect(
      sampleValue(samples, "http_requests_total", { method: "GET", route: "/echo-name", status_code: "405" }),
    ).toBe(1);
    expect(
      sampleValue(samples, "http_requests_total", {
        method: "GET",
        route: "<unmatched>",
        status_code: "404",
      }),
    ).toBe(1);
    expect(sampleValue(samples, "greeter_greetings_total")).toBe(2);
  });

  it("observe durations in a histogram with sub-millisecond to multi-second buckets", async () => {
    for (let i = 0; i < 5; i++) await greet(`n${i}`);
    const samples = await scrape(greeter.metricsUrl);
    const buckets = samples.filter(
      (s) => s.name === "http_request_duration_seconds_bucket" && s.labels.status_code === "200",
    );
    const bounds = buckets.map((b) => b.labels.le);
    expect(bounds).toEqual([...DURATION_BUCKETS.map(String), "+Inf"]);
    expect(Number(bounds[0])).toBeLessThanOrEqual(0.0001);
    expect(Number(bounds.at(-2))).toBeGreaterThanOrEqual(10);
    // Cumulative buckets, ending at the count.
    const counts = buckets.map((b) => b.value);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(5);
    expect(sampleValue(samples, "http_request_duration_seconds_count", echoLabels("200"))).toBe(5);
    expect(sampleValue(samples, "http_request_duration_seconds_sum", echoLabels("200"))).toBeGreaterThan(0);
  });

  it("count a request in flight while it is served", async () => {
    const idle = sampleValue(await scrape(greeter.metricsUrl), "http_requests_in_flight");
    // The scrape is itself in flight while the gauge is read.
    expect(idle).toBe(1);
    // A body that has not finished arriving keeps a greeting in flight.
    let finish!: () => void;
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"name":'));
        finish = () => {
          controller.enqueue(new TextEncoder().encode('"Slow"}'));
          controller.close();
        };
      },
    });
    const slow = fetch(`${greeter.url}/echo-name`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await expect
      .poll(async () => sampleValue(await scrape(greeter.metricsUrl), "http_requests_in_flight"), {
        timeout: 10_000,
      })
      .toBe(2);
    finish();
    expect((await slow).status).toBe(200);
    expect(sampleValue(await scrape(greeter.metricsUrl), "http_requests_in_flight")).toBe(1);
  });
});

describe("label cardinality", () => {
  it("stays bounded after 1,000 requests to random paths with random names", async () => {
    const secrets: string[] = [];
    const methods = ["GET", "POST", "PUT", "DELETE"];
    const request = async (i: number) => {
      const name = `${randomUUID()}-Zoë`;
      secrets.push(name);
      const path =
        i % 2 === 0 ? "/echo-name" : `/${randomBytes(6).toString("hex")}/${encodeURIComponent(name)}`;
      const res = await fetch(`${greeter.url}${path}?name=${encodeURIComponent(name)}`, {
        method: methods[Math.floor(i / 2) % 4],
      });
      await res.arrayBuffer();
    };
    // 20 at a time: quick, and concurrent requests are what a scanner sends.
    for (let batch = 0; batch < 1000; batch += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, k) => request(batch + k)));
    }
    const samples = await scrape(greeter.metricsUrl);
    const series = (name: string) => samples.filter((s) => s.name === name);
    const routes = new Set(series("http_requests_total").map((s) => s.labels.route));
    expect(routes).toEqual(new Set(["/echo-name", "<unmatched>"]));
    // 4 methods x {echo-name: 200 or 405, unmatched: 404} plus nothing else.
    expect(series("http_requests_total").length).toBeLessThanOrEqual(8);
    expect(series("http_request_duration_seconds_bucket").length).toBeLessThanOrEqual(
      8 * (DURATION_BUCKETS.length + 1),
    );
    const total = series("http_requests_total").reduce((sum, s) => sum + s.value, 0);
    expect(total).toBe(1000);
    // Every fourth /echo-name request was a POST that greeted its random name.
    expect(sampleValue(samples, "greeter_greetings_total")).toBe(125);
    const labelValues = new Set(samples.flatMap((s: Sample) => Object.values(s.labels)));
    expect(secrets.filter((name) => [...labelValues].some((v) => v.includes(name.slice(0, 36))))).toEqual([]);
  });
});
