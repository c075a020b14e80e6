/**
 * `npm run bench`: throughput, latency and memory of the greeter against its ceilings, in one run.
 *
 * wrk runs on CPU 0 and each server alone on CPU 1 (taskset), 50 connections, JSON POST /echo-name:
 *   - greeter: compiled `greeter/main` in production configuration (LOG_LEVEL=info, access log to a file,
 *     the NODE_OPTIONS of Dockerfile.greeter);
 *   - bare node:http doing the same work without metrics or logging (the ceiling);
 *   - plain Express 5 with express.json() and the same handler (the framework's own ceiling);
 *   - Flask under gunicorn with 2 sync workers (the app the greeter replaces), from a venv that pip fills
 *     under ~/.cache/greeter-operator/bench-venv; skipped with a message when that cannot be made.
 * The Node servers run as JavaScript compiled by tsc (bench/greeter/tsconfig.json → .tmp/bench-dist), as in
 * the container image: running .ts directly costs ~17 MiB of RSS for Node's type stripper. As root, the
 * servers and wrk run at nice -20 so other work on the machine disturbs the numbers less.
 * BENCH_GREETER_REF=<git ref> adds a row for the greeter as it was at that commit (before/after), in both phases.
 * Each round starts every server fresh, warms it up, measures, reads its RSS (process tree) after the
 * load and the CPU time it spent per request, and stops it. The reported row is each server's best round
 * (highest req/s): other work on a shared machine only ever slows a round down, so the best round is the
 * least disturbed one; every round is listed under the table too. Results go to stdout and
 * bench/results/greeter.md. Env: BENCH_SECONDS (default 10), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50).
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import os, { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  freePort,
  fullCollections,
  hasCommand,
  LOAD_CPU,
  requireCommand,
  SERVER_CPU,
  treeCpuSeconds,
  treeRssMiB,
  waitUntilGreets,
  wrk,
} from "./load.ts";
import {
  MEMORY_LIMIT_BYTES,
  POD_TARGETS,
  type PodPhaseOptions,
  type PodServer,
  runPodPhase,
} from "./pod-run.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const HERE = join(ROOT, "bench", "greeter");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP_SECONDS = 3;
const VENV = join(
  process.env.GREETER_CACHE_DIR ?? join(homedir(), ".cache", "greeter-operator"),
  "bench-venv",
);
const DIST = join(ROOT, ".tmp", "bench-dist");
const PRIORITY = process.getuid?.() === 0 ? ["nice", "-n", "-20"] : [];
const REF = process.env.BENCH_GREETER_REF;
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
/** baseline: the greeter beside bare node:http, Express and Flask, unconstrained; pod: pod-run.ts. */
const PHASES = (process.env.BENCH_PHASES ?? "baseline,pod").split(",");
const POD_CPU = (process.env.BENCH_POD_CPU ?? "no-limit,request").split(",") as PodPhaseOptions["cpu"];

type Server = {
  key: string;
  label: string;
  command: string[];
  env?: Record<string, string>;
  /** A greeter build: its metrics port is read for the count of full collections. */
  greeter?: boolean;
};
type Result = {
  cpuUsPerRequest: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  rssMiB: number;
  errors: number;
  logLines?: number;
  /** Full collections during the measured load (greeter builds only). */
  fullGcs?: number;
};

/** Makes the Flask venv once; returns its bin dir, or a reason it is unavailable. */
function flaskVenv(): { bin: string } | { skip: string } {
  const bin = join(VENV, "bin");
  if (existsSync(join(bin, "gunicorn"))) return { bin };
  try {
    console.log(`bench: installing flask and gunicorn with pip into ${VENV} (once)`);
    mkdirSync(dirname(VENV), { recursive: true });
    execFileSync("python3", ["-m", "venv", VENV], { stdio: "inherit" });
    execFileSync(
      join(bin, "pip"),
      ["install", "--quiet", "--disable-pip-version-check", "flask", "gunicorn"],
      {
        stdio: "inherit",
      },
    );
    return { bin };
  } catch (err) {
    return { skip: `no Flask venv (${(err as Error).message.split("\n")[0]})` };
  }
}

async function measure(server: Server, logDir: string, round: number): Promise<Result> {
  const port = await freePort();
  const metricsPort = await freePort();
  const logFile = join(logDir, `${server.key}-${round}.log`);
  const fd = openSync(logFile, "w");
  const [cmd, ...args] = server.command.map((part) => part.replaceAll("{port}", String(port)));
  const [first = "taskset", ...rest] = [...PRIORITY, "taskset"];
  const child = spawn(first, [...rest, "-c", SERVER_CPU, cmd as string, ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), METRICS_PORT: String(metricsPort), ...server.env },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}/echo-name`;
  try {
    await waitUntilGreets(url, child);
    wrk(url, WARMUP_SECONDS, CONNECTIONS);
    const gcsBefore = server.greeter ? await fullCollections(metricsPort) : 0;
    const cpuBefore = treeCpuSeconds(child.pid as number);
    const { requests, ...load } = wrk(url, SECONDS, CONNECTIONS);
    const cpuUsPerRequest = ((treeCpuSeconds(child.pid as number) - cpuBefore) * 1e6) / requests;
    const rssMiB = treeRssMiB(child.pid as number);
    const result: Result = { ...load, rssMiB, cpuUsPerRequest };
    if (server.greeter) result.fullGcs = (await fullCollections(metricsPort)) - gcsBefore;
    if (server.key === "greeter") {
      await new Promise((r) => setTimeout(r, 200)); // let the asynchronous log destination drain
      result.logLines = readFileSync(logFile, "utf8")
        .split("\n")
        .filter((l) => l.includes('"msg":"request"')).length;
    }
    return result;
  } finally {
    child.kill("SIGTERM");
    if (child.exitCode === null) await once(child, "exit");
  }
}

/** The NODE_OPTIONS the greeter image sets, so the greeter runs here as it does in production. */
function imageNodeOptions(): string {
  const dockerfile = readFileSync(join(ROOT, "Dockerfile.greeter"), "utf8");
  return /^ENV NODE_OPTIONS="([^"]*)"/m.exec(dockerfile)?.[1] ?? "";
}

const GREETER_ENV = {
  HOST: "127.0.0.1",
  // No load balancer to wait for between rounds.
  SHUTDOWN_DELAY_MS: "0",
  LOG_LEVEL: "info",
  NODE_ENV: "production",
  VERSION: "bench",
  NODE_OPTIONS: imageNodeOptions(),
};

let builtRef: string | undefined;
/** The reference build's main.js, compiled once for both phases. */
function buildRef(ref: string): string {
  builtRef ??= compileRef(ref);
  return builtRef;
}

/** Compiles greeter/ as it was at a git ref into .tmp/bench-ref/<ref>; returns its main.js. */
function compileRef(ref: string): string {
  const src = join(ROOT, ".tmp", "bench-ref", ref.replaceAll("/", "_"));
  mkdirSync(src, { recursive: true });
  console.log(`bench: compiling greeter/ at ${ref}`);
  execFileSync("sh", ["-c", `git archive "$1" greeter | tar -x -C "$2"`, "sh", ref, src], {
    cwd: ROOT,
    stdio: "inherit",
  });
  const tsconfig = {
    extends: "../../../tsconfig.build.json",
    compilerOptions: { outDir: "dist", rootDir: "." },
    include: ["greeter"],
    exclude: ["**/*.test.ts"],
  };
  writeFileSync(join(src, "tsconfig.json"), JSON.stringify(tsconfig));
  execFileSync("npx", ["tsc", "-p", join(src, "tsconfig.json")], { cwd: ROOT, stdio: "inherit" });
  return join(src, "dist", "greeter", "main.js");
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function main() {
  if (!hasCommand("wrk")) {
    console.log("bench: wrk is missing; installing it with hack/prereqs.d/10-apt.sh");
    execFileSync("bash", [join(ROOT, "hack", "prereqs.d", "10-apt.sh")], { stdio: "inherit" });
  }
  requireCommand("wrk", "install the Debian package wrk");
  requireCommand("taskset", "install util-linux");
  console.log("bench: compiling the Node servers with tsc");
  execFileSync("npx", ["tsc", "-p", join(HERE, "tsconfig.json")], { cwd: ROOT, stdio: "inherit" });
  const node = process.execPath;
  if (PHASES.includes("baseline")) await baselinePhase(node);
  if (PHASES.includes("pod")) await podPhase(node);
}

async function podPhase(node: string) {
  const reference: PodServer[] = REF
    ? [
        {
          key: "ref",
          label: `greeter at ${REF}, same config`,
          command: [node, buildRef(REF)],
          env: GREETER_ENV,
        },
      ]
    : [];
  const servers: PodServer[] = [
    ...reference,
    {
      key: "greeter",
      label: "greeter (production config, LOG_LEVEL=info)",
      command: [node, join(DIST, "greeter/main.js")],
      env: GREETER_ENV,
    },
    {
      key: "express",
      label: "plain Express 5 + express.json()",
      command: [node, join(DIST, "bench/greeter/plain-express.js")],
    },
  ];
  const loadBefore = os.loadavg()[0]?.toFixed(1);
  const logDir = mkdtempSync(join(tmpdir(), "greeter-bench-pod-"));
  const body = await runPodPhase({
    servers,
    rounds: ROUNDS,
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    idleSeconds: IDLE_SECONDS,
    connections: CONNECTIONS,
    priority: PRIORITY,
    logDir,
    cpu: POD_CPU,
  });
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
  const report = [
    "# Greeter benchmark: as its pod runs it",
    "",
    `Command: \`npm run bench\` (BENCH_PHASES=${PHASES.join(",")} BENCH_SECONDS=${SECONDS} BENCH_ROUNDS=${ROUNDS} BENCH_CONNECTIONS=${CONNECTIONS} BENCH_IDLE_SECONDS=${IDLE_SECONDS} BENCH_POD_CPU=${POD_CPU.join(",")}). ${new Date().toISOString()}, Node ${process.version}, ${cpu}, ${os.availableParallelism()} CPUs; load average ${loadBefore} before, ${os.loadavg()[0]?.toFixed(1)} after.`,
    `Each server runs as compiled JavaScript in a fresh memory cgroup at the default memory limit (${fmt(MEMORY_LIMIT_BYTES / 2 ** 20, 0)} MiB, swap off) and a CPU cgroup, pinned to CPU ${SERVER_CPU}${PRIORITY.length ? " at nice -20" : ""}; wrk (1 thread, ${CONNECTIONS} connections, JSON POST /echo-name) on CPU ${LOAD_CPU}. ${WARMUP_SECONDS} s warm-up, ${SECONDS} s measured, then ${IDLE_SECONDS} s idle. The greeter runs with the NODE_OPTIONS of Dockerfile.greeter (\`${GREETER_ENV.NODE_OPTIONS || "none"}\`) and its access log on, through a pipe to a counter outside the cgroup on the server's core. RSS is the process's VmRSS; the cgroup memory peak is memory.max_usage_in_bytes (v1) or memory.peak (v2), limit hits memory.failcnt (v1) or the max events (v2). Source of the limits: DEFAULT_GREETER_RESOURCES (operator/api/v1alpha1/default-resources.ts).`,
    "",
    body,
  ].join("\n");
  console.log(`\n${report}`);
  writeFileSync(join(ROOT, "bench", "results", "greeter-pod.md"), report);
  console.log("bench: wrote bench/results/greeter-pod.md");
}

async function baselinePhase(node: string) {
  const reference = REF
    ? [
        {
          key: "ref",
          label: `greeter at ${REF}, same config`,
          command: [node, buildRef(REF)],
          env: GREETER_ENV,
          greeter: true,
        },
      ]
    : [];
  const servers: Server[] = [
    ...reference,
    {
      key: "bare",
      label: "bare node:http (ceiling)",
      command: [node, join(DIST, "bench/greeter/bare-http.js")],
    },
    {
      key: "express",
      label: "plain Express 5 + express.json()",
      command: [node, join(DIST, "bench/greeter/plain-express.js")],
    },
    {
      key: "greeter",
      label: "greeter (production config, LOG_LEVEL=info)",
      command: [node, join(DIST, "greeter/main.js")],
      env: GREETER_ENV,
      greeter: true,
    },
  ];
  const venv = flaskVenv();
  if ("bin" in venv) {
    servers.push({
      key: "flask",
      label: "Flask + gunicorn, 2 sync workers",
      command: [
        join(venv.bin, "gunicorn"),
        "-w",
        "2",
        "-b",
        "127.0.0.1:{port}",
        "--chdir",
        HERE,
        "flask_app:app",
      ],
    });
  } else {
    console.log(`bench: skipping the Flask row: ${venv.skip}`);
  }

  const loadBefore = os.loadavg()[0]?.toFixed(1);
  const logDir = mkdtempSync(join(tmpdir(), "greeter-bench-"));
  const roundLines: string[] = [];
  const rounds = new Map<string, Result[]>(servers.map((s) => [s.key, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const server of servers) {
      const result = await measure(server, logDir, round);
      rounds.get(server.key)?.push(result);
      const line = `round ${round}/${ROUNDS} ${server.key.padEnd(8)} ${fmt(result.rps, 0).padStart(7)} req/s  p50 ${fmt(result.p50Ms)} ms  p99 ${fmt(result.p99Ms)} ms  RSS ${fmt(result.rssMiB, 1)} MiB  CPU ${fmt(result.cpuUsPerRequest, 1)} µs/req${result.fullGcs !== undefined ? `  full GCs ${result.fullGcs}` : ""}  (load ${os.loadavg()[0]?.toFixed(1)})${result.errors ? `  ERRORS ${result.errors}` : ""}`;
      roundLines.push(line);
      console.log(line);
    }
  }
  const best = (key: string): Result | undefined =>
    [...(rounds.get(key) ?? [])].sort((a, b) => b.rps - a.rps)[0];
  const bare = best("bare");
  const express = best("express");
  const greeter = best("greeter");
  if (!bare || !express || !greeter) throw new Error("missing results");
  const flask = best("flask");
  const ref = best("ref");

  const rows = servers.map((s) => {
    const r = best(s.key) as Result;
    return `| ${s.label} | ${fmt(r.rps, 0)} | ${fmt(r.rps / bare.rps)} | ${fmt(r.cpuUsPerRequest, 1)} | ${fmt(1e6 / r.cpuUsPerRequest, 0)} | ${fmt(bare.cpuUsPerRequest / r.cpuUsPerRequest)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.rssMiB, 1)} | ${r.errors} |`;
  });
  if (!flask)
    rows.push(
      `| Flask + gunicorn, 2 sync workers | skipped: ${"skip" in venv ? venv.skip : ""} | | | | | | | | |`,
    );
  const vsExpress = greeter.rps / express.rps;
  const cpuVsExpress = express.cpuUsPerRequest / greeter.cpuUsPerRequest;
  const check = (ok: boolean) => (ok ? "PASS" : "FAIL");
  const targets = [
    `- greeter / plain Express throughput: **${fmt(vsExpress)}** measured req/s, **${fmt(cpuVsExpress)}** by CPU cost per request (target ≥ ${POD_TARGETS.throughputVsExpress}) — ${check(vsExpress >= POD_TARGETS.throughputVsExpress)} / ${check(cpuVsExpress >= POD_TARGETS.throughputVsExpress)}`,
    `- greeter p99 at ${CONNECTIONS} connections: **${fmt(greeter.p99Ms)} ms** (target < ${POD_TARGETS.p99Ms} ms) — ${check(greeter.p99Ms < POD_TARGETS.p99Ms)}`,
    `- greeter RSS after load: **${fmt(greeter.rssMiB, 1)} MiB** (target < ${POD_TARGETS.rssMiB} MiB) — ${check(greeter.rssMiB < POD_TARGETS.rssMiB)}`,
    `- plain Express / bare node:http: ${fmt(express.rps / bare.rps)}; greeter / bare node:http: ${fmt(greeter.rps / bare.rps)}`,
    flask
      ? `- Flask + gunicorn / bare node:http: ${fmt(flask.rps / bare.rps)}; greeter / Flask: ${fmt(greeter.rps / flask.rps)}×`
      : "- Flask row skipped",
    ...(ref
      ? [
          `- before/after: greeter at ${REF} ${fmt(ref.rps, 0)} req/s, ${fmt(ref.cpuUsPerRequest, 1)} µs CPU/req, p99 ${fmt(ref.p99Ms)} ms, RSS ${fmt(ref.rssMiB, 1)} MiB → now ${fmt(greeter.rps, 0)} req/s, ${fmt(greeter.cpuUsPerRequest, 1)} µs CPU/req, p99 ${fmt(greeter.p99Ms)} ms, RSS ${fmt(greeter.rssMiB, 1)} MiB`,
        ]
      : []),
    ...servers
      .filter((s) => s.greeter)
      .map(
        (s) =>
          `- ${s.label}: full collections (mark-compact) in the measured ${SECONDS} s, per round: ${(rounds.get(s.key) ?? []).map((r) => r.fullGcs).join(", ")}`,
      ),
    `- greeter NODE_OPTIONS (from Dockerfile.greeter): \`${GREETER_ENV.NODE_OPTIONS || "none"}\`; the baselines run with Node's defaults`,
    `- greeter access-log lines written during the measured round: ${greeter.logLines ?? 0} (logging was on)`,
  ];
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
  const report = [
    "# Greeter benchmark",
    "",
    `Command: \`npm run bench\` (BENCH_SECONDS=${SECONDS} BENCH_ROUNDS=${ROUNDS} BENCH_CONNECTIONS=${CONNECTIONS}). ${new Date().toISOString()}, Node ${process.version}, ${cpu}, ${execFileSync("nproc", { encoding: "utf8" }).trim()} CPUs.`,
    `wrk (1 thread, ${CONNECTIONS} connections, JSON POST /echo-name) on CPU ${LOAD_CPU}; each server alone on CPU ${SERVER_CPU}${PRIORITY.length ? " (both at nice -20)" : ""}; Node servers compiled to JavaScript; ${WARMUP_SECONDS} s warm-up, ${SECONDS} s measured, best of ${ROUNDS} rounds by throughput (all rounds below). RSS is the server's process tree right after the load. Server CPU µs/req is the process tree's user+system CPU time over the measured requests: it is what a request costs, and unlike req/s it barely moves when other work shares the machine (load average ${loadBefore} before, ${os.loadavg()[0]?.toFixed(1)} after).`,
    "",
    "| server | req/s | req/s vs bare | server CPU µs/req | req/s per CPU second | CPU efficiency vs bare | p50 ms | p99 ms | RSS MiB | failed requests |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    ...targets,
    "",
    "All rounds (load = 1-minute load average when the round ended):",
    "",
    "```",
    ...roundLines,
    "```",
    "",
  ].join("\n");
  console.log(`\n${report}`);
  writeFileSync(join(ROOT, "bench", "results", "greeter.md"), report);
  console.log("bench: wrote bench/results/greeter.md");
}

await main();
