/**
 * A real Prometheus (Debian's `prometheus` binary, hack/prereqs.d/10-apt.sh) on loopback, scraping the
 * targets a test gives it with the labels a prometheus-operator ServiceMonitor would give them, plus a small
 * client for its HTTP API. Each instance gets its own port, config and TSDB directory, removed on stop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort } from "./free-port.ts";

export type ScrapeTarget = {
  /** host:port */
  address: string;
  /** Target labels, e.g. { job, namespace, pod } as a ServiceMonitor would set them. */
  labels: Record<string, string>;
  /** HTTPS with this bearer token and no certificate check, as the operator's ServiceMonitor scrapes. */
  bearerToken?: string;
};

export type PromSample = {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
};

export type QueryResult =
  | { status: "success"; data: { resultType: string; result: PromSample[] } }
  | { status: "error"; errorType: string; error: string };

export type LivePrometheus = {
  url: string;
  /** Instant query at `time` (seconds) or now. */
  query(expr: string, time?: number): Promise<QueryResult>;
  /** Range query, as Grafana sends for a time-series panel. */
  queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<QueryResult>;
  /** What Grafana's label_values(selector, label) asks: /api/v1/label/<label>/values?match[]=selector. */
  labelValues(label: string, selector: string): Promise<string[]>;
  /** Polls `expr` until it returns at least one sample, or throws after `timeoutMs`. */
  waitForData(expr: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
};

export async function startLivePrometheus(options: {
  targets: ScrapeTarget[];
  scrapeInterval?: string;
}): Promise<LivePrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "live-prometheus-"));
  const interval = options.scrapeInterval ?? "1s";
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: options.targets.map((target, index) => ({
      job_name: `target-${index}`,
      scrape_interval: interval,
      scrape_timeout: interval,
      static_configs: [{ targets: [target.address], labels: target.labels }],
      ...(target.bearerToken === undefined
        ? {}
        : {
            scheme: "https",
            authorization: { type: "Bearer", credentials: target.bearerToken },
            tls_config: { insecure_skip_verify: true },
          }),
    })),
  };
  writeFileSync(join(dir, "prometheus.yml"), stringify(config));
  const port = await freePort();
  const child: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${stderr}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const get = async (path: string, params: Record<string, string>): Promise<QueryResult> => {
    const response = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    return (await response.json()) as QueryResult;
  };

  const query = (expr: string, time?: number) =>
    get("/api/v1/query", { query: expr, ...(time === undefined ? {} : { time: String(time) }) });

  return {
    url,
    query,
    queryRange: (expr, start, end, step) =>
      get("/api/v1/query_range", { query: expr, start: String(start), end: String(end), step: String(step) }),
    async labelValues(label, selector) {
      const response = await fetch(
        `${url}/api/v1/label/${label}/values?${new URLSearchParams({ "match[]": selector })}`,
      );
      const body = (await response.json()) as { status: string; data?: string[]; error?: string };
      if (body.status !== "success")
        throw new Error(`label values of ${label} for ${selector}: ${body.error}`);
      return body.data ?? [];
    },
    async waitForData(expr, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const result = await query(expr);
        if (result.status === "success" && result.data.result.length > 0) return;
        if (Date.now() > until) throw new Error(`no data for ${expr} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    stop,
  };
}
