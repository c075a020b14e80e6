/**
 * What both greeter bench phases (run.ts, pod-run.ts) measure with: wrk on its own CPU, free ports, readiness,
 * the CPU time and RSS of a server's process tree from /proc, and the greeter's count of V8 full collections.
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const LOAD_CPU = "0";
export const SERVER_CPU = "1";

export const hasCommand = (cmd: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

export function requireCommand(cmd: string, hint: string) {
  if (hasCommand(cmd)) return;
  console.error(`bench: ${cmd} not found; ${hint}`);
  process.exit(1);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

export function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The pids of a process and all its descendants (gunicorn's master and workers). */
export function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    tree.push(pid);
    queue.push(...(parents.get(pid) ?? []));
  }
  return tree;
}

export const treeRssMiB = (root: number) =>
  processTree(root).reduce((sum, pid) => sum + rssKiB(pid), 0) / 1024;

/** User + system CPU seconds of a process tree (clock ticks of 10 ms). */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone.
    }
  }
  return ticks / 100;
}

export async function waitUntilGreets(url: string, child: ChildProcess) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Zoë" }),
      });
      const body = (await res.json()) as { message?: string };
      if (body.message !== "Hello, Zoë") throw new Error(`unexpected answer ${JSON.stringify(body)}`);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** wrk on LOAD_CPU with `connections` connections, POSTing bench/greeter/post.lua's JSON greeting. */
export function wrk(url: string, seconds: number, connections: number) {
  const out = execFileSync(
    "taskset",
    [
      "-c",
      LOAD_CPU,
      "wrk",
      "-t1",
      `-c${connections}`,
      `-d${seconds}s`,
      "--latency",
      "-s",
      join(HERE, "post.lua"),
      url,
    ],
    { encoding: "utf8" },
  );
  const ms = (label: string) => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out);
    if (!m) throw new Error(`no ${label}% latency in wrk output:\n${out}`);
    const scale = m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1;
    return Number(m[1]) * scale;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  // gunicorn's sync workers close every connection, which wrk counts as read errors; only timeouts and
  // non-2xx answers mean failed requests.
  const errors = non2xx + Number(socket?.[4] ?? 0);
  return { rps, requests, p50Ms: ms("50"), p99Ms: ms("99"), errors };
}

/**
 * How many full (mark-compact) collections the greeter has run, from prom-client's
 * `nodejs_gc_duration_seconds_count{kind="major"}` on its metrics port. Each one stops every connection at
 * once for several milliseconds, so their rate under load bears on the p99.
 */
export async function fullCollections(metricsPort: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  const text = await res.text();
  if (!text.includes("# TYPE nodejs_gc_duration_seconds histogram"))
    throw new Error("bench: the greeter's metrics have no GC durations");
  // prom-client writes a kind's series from its first collection on.
  const line = /^nodejs_gc_duration_seconds_count\{kind="major"\} (\d+)/m.exec(text);
  return line ? Number(line[1]) : 0;
}
