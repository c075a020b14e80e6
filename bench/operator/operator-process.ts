/**
 * The operator as a child process, started exactly as a user would (`node operator/main.ts`, default
 * workers), with leader election off and metrics/probes on free loopback ports; plus what the bench reads
 * from it: /readyz, /metrics and /proc (CPU seconds, RSS).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseSamples, type Sample } from "./prom-text.ts";

const CLK_TCK = 100;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export interface OperatorOptions {
  root: string;
  kubeconfig: string;
  logFile: string;
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** The script node runs, relative to root: operator/main.ts (default) or the bundled dist/operator/main.js. */
  entry?: string;
  /** Run inside this memory cgroup (memory-limit.ts): the process joins it before node starts. */
  cgroupProcs?: string;
}

export const OPERATOR_METRICS = new Set([
  "rest_client_requests_total",
  "process_cpu_seconds_total",
  "nodejs_heap_size_used_bytes",
  "nodejs_heap_size_total_bytes",
  "process_resident_memory_bytes",
  "controller_runtime_reconcile_total",
  "workqueue_depth",
  "controller_runtime_active_workers",
]);

export class OperatorProcess {
  readonly child: ChildProcess;
  readonly metricsPort: number;
  readonly probePort: number;
  readonly startedAt = performance.now();
  /**
   * Rejects if the process exits without stop() (an OOM kill, a crash): a phase waiting on the cluster races
   * it, so a dead operator ends the bench at once instead of at the phase's timeout.
   */
  readonly died: Promise<never>;
  #stopping = false;

  private constructor(child: ChildProcess, metricsPort: number, probePort: number) {
    this.child = child;
    this.metricsPort = metricsPort;
    this.probePort = probePort;
    this.died = new Promise<never>((_, reject) => {
      child.once("exit", (code, signal) => {
        if (!this.#stopping) reject(new Error(`operator exited (code ${code}, signal ${signal})`));
      });
    });
    this.died.catch(() => {});
  }

  static async start(o: OperatorOptions): Promise<OperatorProcess> {
    const metricsPort = await freePort();
    const probePort = await freePort();
    const out = openSync(o.logFile, "a");
    const argv = [...(o.nodeArgs ?? []), join(o.root, o.entry ?? "operator/main.ts")];
    // `exec` keeps the pid: the bench reads CPU and RSS of node itself from /proc.
    const [cmd, args]: [string, string[]] = o.cgroupProcs
      ? ["/bin/sh", ["-c", `echo $$ > '${o.cgroupProcs}' && exec "$0" "$@"`, process.execPath, ...argv]]
      : [process.execPath, argv];
    const child = spawn(cmd, args, {
      cwd: o.root,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        KUBECONFIG: o.kubeconfig,
        LEADER_ELECT: "false",
        // Plain HTTP: over HTTPS each of the bench's scrapes could cost a TokenReview and a
        // SubjectAccessReview, requests the bench would then count as the operator's.
        METRICS_SECURE: "false",
        METRICS_ADDR: `127.0.0.1:${metricsPort}`,
        PROBE_ADDR: `127.0.0.1:${probePort}`,
        POD_NAME: "greeter-operator-bench",
        ...o.env,
      },
      stdio: ["ignore", out, out],
    });
    return new OperatorProcess(child, metricsPort, probePort);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Resolves with the time /readyz first answered 200. */
  async ready(timeoutMs = 120_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`operator exited with ${this.child.exitCode}`);
      try {
        const res = await fetch(`http://127.0.0.1:${this.probePort}/readyz`, {
          signal: AbortSignal.timeout(1000),
        });
        await res.text();
        if (res.ok) return performance.now();
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error("operator not ready in time");
  }

  async metrics(): Promise<Sample[]> {
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`, {
      signal: AbortSignal.timeout(10_000),
    });
    return parseSamples(await res.text(), OPERATOR_METRICS);
  }

  /** user+system CPU seconds of the process, from /proc. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  }

  rssBytes(): number {
    return this.status("VmRSS");
  }

  /** The highest RSS since the process started (the kernel's high-water mark): the peak no sampling can miss. */
  peakRssBytes(): number {
    return this.status("VmHWM");
  }

  private status(field: string): number {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
    return Number(m?.[1] ?? 0) * 1024;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 40_000);
    await exited;
    clearTimeout(timer);
  }
}
