/**
 * The greeter as its pod runs it, beside plain Express 5 under the same limits: each server in a fresh cgroup
 * (pod-cgroup.ts) at the memory limit of DEFAULT_GREETER_RESOURCES and, in turn, at a CPU quota equal to the
 * default CPU request (what a pod is guaranteed on a busy node) and without a quota (the default sets no CPU
 * limit, so on a node with a free core the pod may use all of it). Both servers run in every round, one after
 * the other, so each round gives a greeter/Express ratio measured under the same machine load; the load
 * average is recorded with every round. With a reference build ("ref", BENCH_GREETER_REF) it runs in every
 * round too, for a before/after under the same limits. Per round: req/s, p50 and p99, CPU per request, RSS
 * after the load and after an idle wait, the cgroup's memory peak, limit hits and OOM kills, and for greeter
 * builds their full collections.
 *
 * The greeter's stdout goes through a pipe to a line counter outside the cgroup, as a container runtime reads a
 * container's stdout from outside the pod: a log file written from inside would charge its page cache to the
 * group and blur the peak. The counter shares the server's core, as the runtime shares the pod's node: on wrk's
 * core it slowed the load generator in the greeter's rounds only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync, readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { DEFAULT_GREETER_RESOURCES } from "../../operator/api/v1alpha1/default-resources.ts";
import { parseQuantity } from "../../operator/api/v1alpha1/quantity.ts";
import {
  freePort,
  fullCollections,
  SERVER_CPU,
  treeCpuSeconds,
  treeRssMiB,
  waitUntilGreets,
  wrk,
} from "./load.ts";
import { podCgroup } from "./pod-cgroup.ts";

export type PodServer = {
  /** "ref": the greeter built at BENCH_GREETER_REF, for a before/after under the same limits in the same rounds. */
  key: "greeter" | "express" | "ref";
  label: string;
  command: string[];
  env?: Record<string, string>;
};

export type PodPhaseOptions = {
  servers: readonly PodServer[];
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  idleSeconds: number;
  connections: number;
  /** Prepended to every server command (nice -n -20 as root). */
  priority: readonly string[];
  logDir: string;
  /** Which CPU allowances to run: "request", "no-limit" or both. */
  cpu: readonly CpuAllowance["key"][];
};

type CpuAllowance = { key: "request" | "no-limit"; label: string; cpuMillis: number | undefined };

type PodResult = {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  cpuUsPerRequest: number;
  rssAfterLoadMiB: number;
  rssIdleMiB: number;
  /** VmRSS less the mapped files (node's binary, shared with every Node process): the process's own memory. */
  anonAfterLoadMiB: number;
  peakMiB: number;
  limitHits: number;
  oomKills: number;
  logLines: number | undefined;
  /** Full collections during the measured load (the greeter only: Express exports no metrics). */
  fullGcs: number | undefined;
  load: number;
};

const MiB = 2 ** 20;
const quantityNumber = (q: string) => {
  const { num, den } = parseQuantity(q);
  return Number(num) / Number(den);
};
export const MEMORY_LIMIT_BYTES = quantityNumber(DEFAULT_GREETER_RESOURCES.limits.memory);
export const CPU_REQUEST_MILLIS = quantityNumber(DEFAULT_GREETER_RESOURCES.requests.cpu) * 1000;

const ALLOWANCES: CpuAllowance[] = [
  {
    key: "no-limit",
    label: `no CPU limit (the default): one free core (CPU ${SERVER_CPU})`,
    cpuMillis: undefined,
  },
  {
    key: "request",
    label: `CPU quota = the default request, ${DEFAULT_GREETER_RESOURCES.requests.cpu} (a fully busy node)`,
    cpuMillis: CPU_REQUEST_MILLIS,
  },
];

function rssAnonMiB(pid: number): number {
  const kiB = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kiB ?? Number.NaN) / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts the access-log lines of a child's stdout in a process of its own, pinned beside the server. */
function lineCounter(logDir: string, name: string) {
  const countFile = join(logDir, `${name}.count`);
  const out = openSync(countFile, "w");
  const counter = spawn("taskset", ["-c", SERVER_CPU, "grep", "-c", '"msg":"request"'], {
    stdio: ["pipe", out, "ignore"],
  });
  closeSync(out);
  if (!counter.stdin) throw new Error("grep has no stdin pipe");
  return {
    stdin: counter.stdin,
    async count(): Promise<number> {
      if (counter.exitCode === null) await once(counter, "exit");
      return Number(readFileSync(countFile, "utf8").trim() || 0);
    },
  };
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

async function measure(
  server: PodServer,
  allowance: CpuAllowance,
  round: number,
  o: PodPhaseOptions,
): Promise<PodResult> {
  const name = `greeter-bench-${process.pid}-${server.key}-${allowance.key}-${round}`;
  const cgroup = podCgroup(name, { memoryBytes: MEMORY_LIMIT_BYTES, cpuMillis: allowance.cpuMillis });
  if ("unavailable" in cgroup) throw new Error(`bench: ${cgroup.unavailable}`);
  const port = await freePort();
  const metricsPort = await freePort();
  const isGreeter = server.key !== "express";
  const counter = lineCounter(o.logDir, name);
  const stderr = openSync(join(o.logDir, `${name}.stderr`), "w");
  const [first = "taskset", ...rest] = [
    ...o.priority,
    "taskset",
    "-c",
    SERVER_CPU,
    ...cgroup.wrap(server.command),
  ];
  const child = spawn(first, rest, {
    env: { ...process.env, PORT: String(port), METRICS_PORT: String(metricsPort), ...server.env },
    stdio: ["ignore", counter.stdin, stderr],
  });
  closeSync(stderr);
  counter.stdin.destroy();
  const pid = child.pid as number;
  const url = `http://127.0.0.1:${port}/echo-name`;
  try {
    await waitUntilGreets(url, child);
    wrk(url, o.warmupSeconds, o.connections);
    const gcsBefore = isGreeter ? await fullCollections(metricsPort) : 0;
    const cpuBefore = treeCpuSeconds(pid);
    const { requests, ...load } = wrk(url, o.seconds, o.connections);
    const cpuUsPerRequest = ((treeCpuSeconds(pid) - cpuBefore) * 1e6) / requests;
    const rssAfterLoadMiB = treeRssMiB(pid);
    const anonAfterLoadMiB = rssAnonMiB(pid);
    // After the RSS readings: a scrape renders the registry, which the greeter's RSS must not include.
    const fullGcs = isGreeter ? (await fullCollections(metricsPort)) - gcsBefore : undefined;
    await sleep(o.idleSeconds * 1000);
    const rssIdleMiB = treeRssMiB(pid);
    const memory = cgroup.memory();
    await stop(child);
    const logLines = isGreeter ? await counter.count() : undefined;
    return {
      ...load,
      cpuUsPerRequest,
      rssAfterLoadMiB,
      rssIdleMiB,
      anonAfterLoadMiB,
      peakMiB: memory.peakBytes / MiB,
      limitHits: memory.limitHits,
      oomKills: memory.oomKills,
      logLines,
      fullGcs,
      load: os.loadavg()[0] ?? 0,
    };
  } finally {
    await stop(child);
    cgroup.remove();
  }
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export const POD_TARGETS = { throughputVsExpress: 1.1, p99Ms: 10, rssMiB: 100 };

/** Runs the phase; returns the Markdown section for bench/results/greeter-pod.md. */
export async function runPodPhase(o: PodPhaseOptions): Promise<string> {
  const limitMiB = MEMORY_LIMIT_BYTES / MiB;
  const sections: string[] = [];
  for (const allowance of ALLOWANCES.filter((a) => o.cpu.includes(a.key))) {
    const results = new Map<string, PodResult[]>(o.servers.map((s) => [s.key, []]));
    const lines: string[] = [];
    for (let round = 1; round <= o.rounds; round++) {
      for (const server of o.servers) {
        const r = await measure(server, allowance, round, o);
        results.get(server.key)?.push(r);
        const line = `${allowance.key} round ${round}/${o.rounds} ${server.key.padEnd(8)} ${fmt(r.rps, 0).padStart(6)} req/s  p50 ${fmt(r.p50Ms)} ms  p99 ${fmt(r.p99Ms)} ms  CPU ${fmt(r.cpuUsPerRequest, 1)} µs/req  RSS ${fmt(r.rssAfterLoadMiB, 1)} MiB after load (anon ${fmt(r.anonAfterLoadMiB, 1)}), ${fmt(r.rssIdleMiB, 1)} MiB after ${o.idleSeconds} s idle  peak ${fmt(r.peakMiB, 1)}/${fmt(limitMiB, 0)} MiB  limit hits ${r.limitHits}  OOM ${r.oomKills}${r.logLines !== undefined ? `  log lines ${r.logLines}` : ""}${r.fullGcs !== undefined ? `  full GCs ${r.fullGcs}` : ""}${r.errors ? `  ERRORS ${r.errors}` : ""}  (load ${fmt(r.load, 1)})`;
        lines.push(line);
        console.log(line);
      }
    }
    const greeter = results.get("greeter") ?? [];
    const express = results.get("express") ?? [];
    const ref = results.get("ref") ?? [];
    const ratios = greeter.map((g, i) => g.rps / (express[i]?.rps ?? Number.NaN));
    const cpuRatios = greeter.map((g, i) => (express[i]?.cpuUsPerRequest ?? Number.NaN) / g.cpuUsPerRequest);
    const worst = (rs: PodResult[], f: (r: PodResult) => number) => Math.max(...rs.map(f));
    const row = (label: string, rs: PodResult[]) =>
      `| ${label} | ${fmt(median(rs.map((r) => r.rps)), 0)} | ${fmt(median(rs.map((r) => r.cpuUsPerRequest)), 1)} | ${fmt(median(rs.map((r) => r.p50Ms)))} | ${fmt(median(rs.map((r) => r.p99Ms)))} | ${fmt(median(rs.map((r) => r.rssAfterLoadMiB)), 1)} (max ${fmt(
        worst(rs, (r) => r.rssAfterLoadMiB),
        1,
      )}) | ${fmt(median(rs.map((r) => r.anonAfterLoadMiB)), 1)} | ${fmt(median(rs.map((r) => r.rssIdleMiB)), 1)} | ${fmt(
        worst(rs, (r) => r.peakMiB),
        1,
      )} of ${fmt(limitMiB, 0)} | ${rs.reduce((s, r) => s + r.limitHits, 0)} / ${rs.reduce((s, r) => s + r.oomKills, 0)} | ${rs.reduce((s, r) => s + r.errors, 0)} |`;
    const labelOf = (key: string) => o.servers.find((s) => s.key === key)?.label ?? key;
    const check = (ok: boolean) => (ok ? "PASS" : "FAIL");
    const ratio = median(ratios);
    const p99 = median(greeter.map((r) => r.p99Ms));
    const rssMax = worst(greeter, (r) => r.rssAfterLoadMiB);
    sections.push(
      [
        `## ${allowance.label}`,
        "",
        `Medians of ${o.rounds} rounds (RSS after load also its maximum; memory peak the maximum over rounds).`,
        "",
        `| server | req/s | CPU µs/req | p50 ms | p99 ms | RSS after load MiB | of which anonymous MiB | RSS after ${o.idleSeconds} s idle MiB | cgroup memory peak MiB | limit hits / OOM kills | failed requests |`,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        row(labelOf("greeter"), greeter),
        row(labelOf("express"), express),
        ...(ref.length ? [row(labelOf("ref"), ref)] : []),
        "",
        `- greeter / plain Express req/s, per round (same round, same machine load): ${ratios.map((r) => fmt(r)).join(", ")}; median **${fmt(ratio)}** (target ≥ ${POD_TARGETS.throughputVsExpress}) — ${check(ratio >= POD_TARGETS.throughputVsExpress)}`,
        `- greeter / plain Express by CPU cost per request, per round: ${cpuRatios.map((r) => fmt(r)).join(", ")}; median ${fmt(median(cpuRatios))}`,
        `- greeter p99 at ${o.connections} connections: median **${fmt(p99)} ms** (target < ${POD_TARGETS.p99Ms} ms) — ${check(p99 < POD_TARGETS.p99Ms)}`,
        `- greeter p99 / plain Express p99, per round: ${greeter.map((g, i) => fmt(g.p99Ms / (express[i]?.p99Ms ?? Number.NaN))).join(", ")}`,
        `- greeter full collections (mark-compact) in the measured ${o.seconds} s, per round: ${greeter.map((g) => g.fullGcs).join(", ")}`,
        `- greeter RSS after load: at most **${fmt(rssMax, 1)} MiB** (target < ${POD_TARGETS.rssMiB} MiB) — ${check(rssMax < POD_TARGETS.rssMiB)}`,
        ...(ref.length
          ? [
              `- before/after, ${labelOf("ref")} → greeter, per round: req/s ${ref.map((r, i) => fmt((greeter[i]?.rps ?? Number.NaN) / r.rps)).join(", ")}× (median ${fmt(median(ref.map((r, i) => (greeter[i]?.rps ?? Number.NaN) / r.rps)))}); p99 ${ref.map((r, i) => `${fmt(r.p99Ms, 1)} → ${fmt(greeter[i]?.p99Ms ?? Number.NaN, 1)}`).join(", ")} ms; full collections ${ref.map((r, i) => `${r.fullGcs} → ${greeter[i]?.fullGcs}`).join(", ")}; RSS after load at most ${fmt(
                worst(ref, (r) => r.rssAfterLoadMiB),
                1,
              )} → ${fmt(rssMax, 1)} MiB`,
            ]
          : []),
        `- greeter access-log lines written in the last round: ${greeter.at(-1)?.logLines ?? 0} (logging was on)`,
        "",
        "All rounds (load = 1-minute load average when the round ended):",
        "",
        "```",
        ...lines,
        "```",
        "",
      ].join("\n"),
    );
  }
  return sections.join("\n");
}
