/**
 * A real Prometheus scrapes a running greeter (`node greeter/main.ts`) on loopback; after traffic, the
 * request rate of POST /echo-name is visible through Prometheus's HTTP API, and the series it stores carry
 * only bounded labels.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildGreeter, startChildGreeter } from "../support/greeter-server.ts";
import { type LivePrometheus, startLivePrometheus } from "../support/live-prometheus.ts";

let greeter: ChildGreeter & { url: string; port: number; metricsUrl: string };
let prometheus: LivePrometheus;
let stopTraffic = () => {};

/** Sends greetings (and some 400s and 404s) every 20 ms until stopped or 2 minutes have passed. */
function startTraffic(url: string) {
  let running = true;
  const until = Date.now() + 120_000;
  const loop = (async () => {
    for (let i = 0; running && Date.now() < until; i++) {
      const path = i % 10 === 9 ? `/random-${i}` : "/echo-name";
      const name = i % 10 === 8 ? "" : `Zoë ${i}`;
      await fetch(`${url}${path}?${new URLSearchParams({ name })}`, { method: "POST" }).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

const vector = async (expr: string) => {
  const result = await prometheus.query(expr);
  if (result.status !== "success") throw new Error(`${expr}: ${result.error}`);
  return result.data.result;
};

beforeAll(async () => {
  greeter = await startChildGreeter({ VERSION: "system-test" });
  prometheus = await startLivePrometheus({
    targets: [
      { address: new URL(greeter.metricsUrl).host, labels: { job: "greeter", namespace: "default" } },
    ],
    scrapeInterval: "1s",
  });
  stopTraffic = startTraffic(greeter.url);
});

afterAll(async () => {
  await stopTraffic();
  await prometheus?.stop();
  greeter?.child.kill("SIGTERM");
  await greeter?.exited;
});

describe("greeter scraped by a real Prometheus", () => {
  it("is up", async () => {
    await prometheus.waitForData('up{job="greeter"} == 1');
  });

  it('shows sum(rate(http_requests_total{route="/echo-name"}[1m])) > 0 after traffic', async () => {
    const expr = 'sum(rate(http_requests_total{route="/echo-name"}[1m])) > 0';
    await prometheus.waitForData(expr);
    const [sample] = await vector(expr);
    expect(Number(sample?.value?.[1])).toBeGreaterThan(0);
  });

  it("answers latency and error-ratio queries from the histogram and status codes", async () => {
    await prometheus.waitForData('http_requests_total{route="<unmatched>",status_code="404"}');
    const p99 = await vector(
      'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{route="/echo-name"}[1m])))',
    );
    expect(Number(p99[0]?.value?.[1])).toBeGreaterThan(0);
    const clientErrors = await vector(
      'sum(rate(http_requests_total{status_code=~"4.."}[1m])) / sum(rate(http_requests_total[1m]))',
    );
    expect(Number(clientErrors[0]?.value?.[1])).toBeGreaterThan(0);
    expect(await vector('greeter_build_info{version="system-test"}')).toHaveLength(1);
    expect(await vector("greeter_greetings_total > 0")).toHaveLength(1);
  });

  it("stores bounded route labels and never a name", async () => {
    const routes = await prometheus.labelValues("route", "http_requests_total");
    // Prometheus's own scrapes are requests too, under their route template.
    expect(new Set(routes)).toEqual(new Set(["/echo-name", "/metrics", "<unmatched>"]));
    const all = await vector('{job="greeter"}');
    const values = all.flatMap((s) => Object.values(s.metric));
    expect(values.filter((v) => v.includes("Zoë") || v.startsWith("/random-"))).toEqual([]);
  });
});
