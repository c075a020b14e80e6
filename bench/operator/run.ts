/**
 * `npm run bench:operator [-- --n 100,1000,3000] [--cpu-prof] [--idle 120] [--storm off] [--node-args=...]`: the
 * operator at scale, against the API server's own limit. For each N, on a fresh local control plane (test/cluster,
 * kwok Nodes, tuned for up to 10,000 Greeters: cluster-tuning.ts):
 *
 *  1. converge: start the operator (`node dist/operator/main.js` under its manifest's memory limit, default
 *     workers, RESYNC_PERIOD=60s), create N Greeters over 10 namespaces, time until every one has its
 *     Deployment, Service and ServiceMonitor and a status with observedGeneration == generation and
 *     Ready=True; requests by verb, CPU, RSS (peak of 1 s samples, and the memory cgroup's own peak);
 *  2. steady: idle for `--idle` seconds (≥ one resync): writes and CPU;
 *  3. storm (unless `--storm off`): change `greeting` on all; time until every Deployment carries it and every
 *     status is current;
 *  4. recovery: restart the operator; time until Ready and every Greeter reconciled, and its writes;
 *  5. floor: operator stopped, a plain client makes the same writes for N more Greeters with the same
 *     concurrency (bench/operator/workload.ts); also how long the cluster (kcm, scheduler, kwok) takes to make
 *     their pods Ready.
 *
 * An operator that dies (an OOM kill at the limit) or a phase that times out ends that N at once, saying so;
 * after converging, the N keeps what its earlier phases measured, and the report marks the phase that failed.
 * Writes are counted per identity from the audit log; reads from the operator's rest_client_requests_total and
 * the API server's apiserver_request_total. Results: stdout, bench/results/operator-<date>.{md,json,svg} (`--out` to choose),
 * rewritten after each N, so `--n 10000,100,1000` fails early and keeps what finished.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { LABEL_GREETER } from "../../operator/api/v1alpha1/constants.ts";
import { loadConfig } from "../../operator/config.ts";
import { ControlPlane } from "../../test/cluster/control-plane.ts";
import { BenchApi } from "./api.ts";
import { AuditLog, total } from "./audit.ts";
import { benchClusterArgs, kwokNodesFor } from "./cluster-tuning.ts";
import { manifestMemoryLimit, memoryCgroup } from "./memory-limit.ts";
import { OperatorProcess } from "./operator-process.ts";
import { plotSvg } from "./plot.ts";
import { diff, parseSamples, type Sample, single, sumBy } from "./prom-text.ts";
import { markdown, type Result } from "./report.ts";
import { Tracker } from "./tracker.ts";
import {
  createGreeters,
  createNamespaces,
  floor,
  greeterKeys,
  namespaces,
  patchGreeting,
} from "./workload.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const OPERATOR_USER = "greeter-operator-bench";
const RESYNC = "60s";

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "100,1000,3000" },
    idle: { type: "string", default: "120" },
    "cpu-prof": { type: "boolean", default: false },
    // Extra flags for the operator's node: --node-args=--max-semi-space-size=2 (to try V8 settings for an image).
    "node-args": { type: "string", default: "" },
    // dist: the bundle the image runs (hack/bundle.ts, built first); source: operator/main.ts, type-stripped.
    entry: { type: "string", default: "dist" },
    // manifest: the memory limit of config/manager/manager.yaml, enforced by a memory cgroup; none: no limit.
    "memory-limit": { type: "string", default: "manifest" },
    // off: skip the update storm (a third of a run's time at 10,000 Greeters).
    storm: { type: "string", default: "on" },
    out: { type: "string" },
  },
});
const sizes = (args.n ?? "")
  .split(",")
  .map((s) => Number(s.replaceAll("_", "").trim()))
  .filter((n) => n > 0);
const idleSeconds = Number(args.idle);
if (args.entry !== "dist" && args.entry !== "source") throw new Error("--entry must be dist or source");
const entry = args.entry === "dist" ? "dist/operator/main.js" : "operator/main.ts";
if (args.entry === "dist") execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
const memoryLimit = args["memory-limit"] === "none" ? 0 : manifestMemoryLimit(ROOT);
const cgroup = memoryLimit ? memoryCgroup(`greeter-operator-bench-${process.pid}`, memoryLimit) : undefined;
// Without a cgroup, the heap limit Node itself picks under this memory limit (about half of it).
const heapLimitArgs =
  memoryLimit && !cgroup ? [`--max-old-space-size=${Math.round(memoryLimit / 2 ** 21)}`] : [];
const limitMiB = memoryLimit / 2 ** 20;
const operatorDescription = !memoryLimit
  ? `\`node ${entry}\` without a memory limit`
  : `\`node ${entry}\` ${cgroup ? "in a memory cgroup limited" : `with ${heapLimitArgs[0]} standing in for the limit`} to ${limitMiB} MiB as in config/manager/manager.yaml`;
const defaults = loadConfig({ env: {}, argv: [] });
const workers = defaults.workers;

const log = (m: string) => process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${m}\n`);
const secs = (ms: number) => Math.round(ms) / 1000;
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/** The maximum of one sample a second, from now until stop(): the peak a single reading would miss. */
class PeakSampler {
  max = 0;
  readonly #timer: NodeJS.Timeout;
  constructor(sample: () => number) {
    const take = () => {
      try {
        this.max = Math.max(this.max, sample());
      } catch {
        // the process is gone; the phase's race reports it
      }
    };
    take();
    this.#timer = setInterval(take, 1000).unref();
  }
  stop(): number {
    clearInterval(this.#timer);
    return this.max;
  }
}
const uptime = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

function restByMethod(s: Sample[]) {
  return sumBy(s, "rest_client_requests_total", ["method"]);
}
function reconciles(s: Sample[]) {
  return [...sumBy(s, "controller_runtime_reconcile_total", []).values()].reduce((a, b) => a + b, 0);
}
const API_RESOURCES = new Set([
  "greeters",
  "deployments",
  "services",
  "servicemonitors",
  "events",
  "pods",
  "replicasets",
  "endpointslices",
]);
function apiserverByVerb(text: string) {
  const s = parseSamples(text, new Set(["apiserver_request_total"]));
  return sumBy(s, "apiserver_request_total", ["verb", "resource", "subresource"], (l) =>
    API_RESOURCES.has(l.resource ?? ""),
  );
}
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const perGreeter = (counts: Record<string, number>, n: number) =>
  Object.fromEntries(
    Object.entries(counts).map(([k, v]) => [k.replace(/\/$/, ""), Math.round((v / n) * 100) / 100]),
  );

/** What an interrupted bench must stop: its control plane and operator run detached from it. */
const running: { cp?: ControlPlane; op?: OperatorProcess } = {};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the operator and the control plane`);
    void (async () => {
      await running.op?.stop().catch(() => {});
      await running.cp?.stop().catch(() => {});
      cgroup?.remove();
      process.exit(130);
    })();
  });
}

async function runOne(n: number, stamp: string): Promise<Result> {
  log(`N=${n}: starting a control plane (load ${uptime()})`);
  const loadStart = uptime();
  const started = performance.now();
  const cp = await ControlPlane.start({
    crds: [join(ROOT, "crds")],
    extraArgs: benchClusterArgs,
    nodes: kwokNodesFor(n),
    log: (m) => log(`  cluster: ${m}`),
  });
  running.cp = cp;
  const api = new BenchApi({
    server: cp.server,
    caFile: cp.state.layout.pki.caCert,
    certFile: cp.state.admin.certFile,
    keyFile: cp.state.admin.keyFile,
  });
  const audit = new AuditLog(cp.state.auditLog);
  const tracker = new Tracker(api, LABEL_GREETER);
  const kubeconfig = await cp.kubeconfigFor("bench-operator", {
    user: OPERATOR_USER,
    groups: ["system:masters"],
  });
  const logDir = join(ROOT, ".tmp", "bench-operator", stamp);
  mkdirSync(logDir, { recursive: true });
  let op: OperatorProcess | undefined;
  const startOperator = async (tag: string) => {
    op = await OperatorProcess.start({
      entry,
      ...(cgroup ? { cgroupProcs: cgroup.procsFile } : {}),
      root: ROOT,
      kubeconfig,
      logFile: join(logDir, `operator-${n}-${tag}.log`),
      env: { RESYNC_PERIOD: RESYNC },
      nodeArgs: [
        // As the image runs it (Dockerfile.operator): MemoryTrim needs it.
        "--expose-gc",
        ...heapLimitArgs,
        ...(args["node-args"] ?? "").split(" ").filter(Boolean),
        ...(args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${join(logDir, `prof-${n}-${tag}`)}`] : []),
      ],
    });
    running.op = op;
    return op;
  };
  const oomKills0 = cgroup?.oomKills() ?? 0;
  /** An error's message, with the OOM kills the kernel made during this N, if any. */
  const explain = (err: unknown) => {
    const kills = (cgroup?.oomKills() ?? 0) - oomKills0;
    return `${(err as Error).message}${kills ? ` (the kernel OOM-killed the operator ${kills}× at the ${limitMiB} MiB limit)` : ""}`;
  };
  try {
    const keys = greeterKeys("bench", n);
    const floorKeys = greeterKeys("floor", n);
    await createNamespaces(api, [...namespaces("bench"), ...namespaces("floor")]);
    await tracker.start();

    // 1. converge
    let operator = await startOperator("main");
    await operator.ready();
    const m0 = await operator.metrics();
    const api0 = apiserverByVerb(await api.metrics());
    const cpu0 = operator.cpuSeconds();
    const audit0 = audit.offset();
    cgroup?.resetPeak();
    const rssPeak = new PeakSampler(() => operator.rssBytes());
    const t0 = performance.now();
    let podsReadyAt = 0;
    const podsTimer = setInterval(() => {
      if (!podsReadyAt && tracker.podsReady(keys) === n) podsReadyAt = performance.now();
    }, 250);
    log(`N=${n}: creating ${n} Greeters`);
    let createdAt = 0;
    const creating = createGreeters(api, keys, "Hello, {name}").then(() => (createdAt = performance.now()));
    const convergedAt = await Promise.race([
      tracker.until(
        () => createdAt > 0 && tracker.pending(keys) === 0,
        Math.max(600_000, n * 400),
        () =>
          `pending ${tracker.pending(keys)}/${n}, pods ready ${tracker.podsReady(keys)}, RSS ${mib(operator.rssBytes())} MiB, load ${uptime()}`,
      ),
      operator.died,
    ]);
    await creating;
    clearInterval(podsTimer);
    if (!podsReadyAt) podsReadyAt = convergedAt;
    const convergeCpu = operator.cpuSeconds() - cpu0;
    const convergence = convergedAt - t0;
    const lag = tracker.readyAfterPod(keys);
    const readyAfterPodS = lag && { p50: secs(lag.p50), p90: secs(lag.p90), max: secs(lag.max) };
    log(
      `N=${n}: converged in ${secs(convergence)}s (created in ${secs(createdAt - t0)}s, pods ready at ${secs(podsReadyAt - t0)}s), CPU ${convergeCpu.toFixed(1)}s` +
        (readyAfterPodS
          ? `; a Greeter Ready ${readyAfterPodS.p50}/${readyAfterPodS.p90}/${readyAfterPodS.max}s (p50/p90/max) after its pod`
          : ""),
    );
    await sleep(3000); // let trailing events land before counting
    const m1 = await operator.metrics();
    const api1 = apiserverByVerb(await api.metrics());
    const createWrites = audit.writesSince(audit0, OPERATOR_USER);
    const rssConverged = operator.rssBytes();
    // The kernel's high-water mark (VmHWM) also catches a peak between two samples.
    const rssPeakConverge = Math.max(rssPeak.max, operator.peakRssBytes());
    const cgroupPeakConverge = cgroup?.peakBytes() ?? 0;

    // 2. steady state
    log(`N=${n}: idle for ${idleSeconds}s (resync ${RESYNC})`);
    const cpuIdle0 = operator.cpuSeconds();
    const auditIdle0 = audit.offset();
    // Steady RSS is the median of one sample a second: the resyncs and the memory trim make it move within the
    // phase, and a single reading would depend on when it fell.
    const rssSamples: number[] = [];
    const idleEnd = performance.now() + idleSeconds * 1000;
    while (performance.now() < idleEnd) {
      rssSamples.push(operator.rssBytes());
      await sleep(1000);
    }
    const m2 = await operator.metrics();
    const idleWrites = audit.writesSince(auditIdle0, OPERATOR_USER);
    const idleCpu = operator.cpuSeconds() - cpuIdle0;
    const idleReconciles = reconciles(m2) - reconciles(m1);
    const rss = median(rssSamples);
    const rssMax = Math.max(...rssSamples);
    const heap = single(m2, "nodejs_heap_size_used_bytes") ?? 0;
    log(
      `N=${n}: idle: ${total(idleWrites)} writes, ${idleReconciles} reconciles, CPU ${idleCpu.toFixed(1)}s, RSS median ${(rss / 2 ** 20).toFixed(0)} MiB, max ${(rssMax / 2 ** 20).toFixed(0)} MiB`,
    );

    // Phases 3-5 each end a run that fails in them, but what was measured before is kept: an hour of a 10,000
    // run must not be lost to a timeout in its last phase.
    let phase = "storm";
    let failed: Result["failed"];
    let storm: Result["storm"];
    let recovery: Result["recovery"];
    let floorTime: number | undefined;
    let floorPodsReadyAfter: number | undefined;
    let rssPeakAll = 0;
    let cgroupPeakAll = 0;
    try {
      // 3. update storm
      if (args.storm !== "off") {
        const greeting = "Hi, {name}: storm";
        const auditStorm0 = audit.offset();
        const cpuStorm0 = operator.cpuSeconds();
        const ts = performance.now();
        let patchedAt = 0;
        const patching = patchGreeting(api, keys, greeting).then(() => (patchedAt = performance.now()));
        const stormAt = await Promise.race([
          tracker.until(
            () => patchedAt > 0 && tracker.pending(keys, greeting) === 0,
            Math.max(600_000, n * 400),
            () =>
              `storm pending ${tracker.pending(keys, greeting)}/${n}, RSS ${mib(operator.rssBytes())} MiB`,
          ),
          operator.died,
        ]);
        await patching;
        const stormCpu = operator.cpuSeconds() - cpuStorm0;
        await sleep(3000);
        const stormWrites = audit.writesSince(auditStorm0, OPERATOR_USER);
        storm = {
          seconds: secs(stormAt - ts),
          writes: stormWrites,
          writesPerGreeter: total(stormWrites) / n,
          cpuS: Math.round(stormCpu * 100) / 100,
        };
        log(`N=${n}: storm converged in ${storm.seconds}s, ${total(stormWrites)} writes`);
      }
      rssPeakAll = rssPeak.stop();

      // 4. recovery
      phase = "restart";
      await operator.stop();
      const auditRec0 = audit.offset();
      operator = await startOperator("restart");
      const readyAt = await operator.ready();
      let recoveredAt = 0;
      const recoveryTimeout = Math.max(300_000, n * 100);
      for (;;) {
        if (performance.now() - readyAt > recoveryTimeout)
          throw new Error(`not every Greeter reconciled ${secs(recoveryTimeout)} s after Ready`);
        const m = await operator.metrics();
        const depth = [...sumBy(m, "workqueue_depth", []).values()][0] ?? 0;
        const active = [...sumBy(m, "controller_runtime_active_workers", []).values()][0] ?? 0;
        if (reconciles(m) >= n && depth === 0 && active === 0) {
          recoveredAt = performance.now();
          break;
        }
        await sleep(100);
      }
      await sleep(3000);
      const recoveryWrites = audit.writesSince(auditRec0, OPERATOR_USER);
      recovery = {
        ready: secs(readyAt - operator.startedAt),
        confirmed: secs(recoveredAt - operator.startedAt),
        writes: recoveryWrites,
        rssPeakMiB: Math.round(operator.peakRssBytes() / 2 ** 20),
      };
      log(
        `N=${n}: restart: ready ${recovery.ready}s, all confirmed ${recovery.confirmed}s, ${total(recoveryWrites)} writes, RSS peak ${recovery.rssPeakMiB} MiB`,
      );
      await operator.stop();
      op = undefined;
      cgroupPeakAll = cgroup?.peakBytes() ?? 0;

      // 5. floor
      phase = "floor";
      log(`N=${n}: floor (${workers} writers)`);
      const tf = performance.now();
      const floorWrites = await floor(api, floorKeys, "Hello, {name}", workers, defaults.greeterImage);
      const writesTime = performance.now() - tf;
      floorTime = writesTime;
      log(`N=${n}: floor ${secs(floorTime)}s (${floorWrites} writes); waiting for its pods`);
      // The floor's time is its writes. Its pods are context: pods the cluster cannot start (at 10,000, more than the
      // kwok Nodes held) must not cost the whole run its results.
      const floorPodsAt = await tracker
        .until(() => tracker.podsReady(floorKeys) === n, Math.max(600_000, writesTime))
        .catch((err: unknown) => {
          log(
            `N=${n}: floor: ${tracker.podsReady(floorKeys)} of its ${n} pods Ready: ${(err as Error).message}`,
          );
          return undefined;
        });
      if (floorPodsAt !== undefined) {
        floorPodsReadyAfter = floorPodsAt - tf;
        log(`N=${n}: floor's pods Ready at ${secs(floorPodsReadyAfter)}s`);
      }
    } catch (err) {
      failed = { phase, message: explain(err) };
      log(`N=${n}: ${phase} failed, keeping what was measured before it: ${failed.message}`);
      rssPeakAll ||= rssPeak.stop();
      cgroupPeakAll ||= cgroup?.peakBytes() ?? 0;
    }

    const opRequests = diff(restByMethod(m1), restByMethod(m0));
    return {
      n,
      workers,
      loadStart,
      load: uptime(),
      wallS: Math.round((performance.now() - started) / 1000),
      convergenceS: secs(convergence),
      createdS: secs(createdAt - t0),
      podsReadyS: secs(podsReadyAt - t0),
      ...(readyAfterPodS ? { readyAfterPodS } : {}),
      ...(floorTime === undefined
        ? {}
        : { floorS: secs(floorTime), ratio: Math.round((convergence / floorTime) * 100) / 100 }),
      floorPodsReadyS: floorPodsReadyAfter === undefined ? undefined : secs(floorPodsReadyAfter),
      operatorRequestsPerGreeter: perGreeter(opRequests, n),
      operatorWritesPerGreeter: perGreeter(createWrites, n),
      writesPerGreeter: total(createWrites) / n,
      writesPerGreeterExclEvents: total(createWrites, (k) => k.endsWith(" events")) / n,
      apiserverRequestsPerGreeter: perGreeter(diff(api1, api0), n),
      convergeCpuS: Math.round(convergeCpu * 100) / 100,
      rssConvergedMiB: Math.round(rssConverged / 2 ** 20),
      rssPeakConvergeMiB: mib(rssPeakConverge),
      rssPeakMiB: mib(rssPeakAll),
      cgroupPeakConvergeMiB: mib(cgroupPeakConverge),
      cgroupPeakMiB: mib(cgroupPeakAll),
      oomKills: (cgroup?.oomKills() ?? 0) - oomKills0,
      rssMiB: Math.round(rss / 2 ** 20),
      rssIdleMaxMiB: Math.round(rssMax / 2 ** 20),
      heapMiB: Math.round(heap / 2 ** 20),
      idle: {
        seconds: idleSeconds,
        writes: idleWrites,
        cpuS: Math.round(idleCpu * 100) / 100,
        reconciles: idleReconciles,
      },
      ...(storm ? { storm } : {}),
      ...(recovery ? { recovery } : {}),
      ...(failed ? { failed } : {}),
    };
  } catch (err) {
    throw new Error(`N=${n}: ${explain(err)}`, { cause: err });
  } finally {
    tracker.stop();
    await op?.stop().catch(() => {});
    await api.close();
    await cp.stop();
    running.cp = undefined;
    running.op = undefined;
  }
}

if (memoryLimit && !cgroup)
  log(`no writable memory cgroup here: approximating the ${limitMiB} MiB limit with ${heapLimitArgs[0]}`);
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const results: Result[] = [];
const loadBefore = uptime();
const date = new Date().toISOString().slice(0, 10);
const outBase = args.out ?? join(ROOT, "bench", "results", `operator-${date}`);
const meta = () => ({
  date: new Date().toISOString(),
  loadBefore,
  loadAfter: uptime(),
  resync: RESYNC,
  operator: operatorDescription,
  limitMiB,
});
// Written after every N, so a long run that fails at its largest N still leaves the smaller ones.
const write = () => {
  const m = meta();
  mkdirSync(dirname(outBase), { recursive: true });
  writeFileSync(`${outBase}.md`, markdown(results, m));
  writeFileSync(`${outBase}.json`, `${JSON.stringify({ ...m, results }, null, 2)}\n`);
  writeFileSync(`${outBase}.svg`, plotSvg(results, { limitMiB }));
  log(`wrote ${outBase}.{md,json,svg} (N=${results.map((r) => r.n).join(", ")})`);
};
try {
  for (const n of sizes) {
    results.push(await runOne(n, stamp));
    write();
  }
} finally {
  cgroup?.remove();
}
process.stdout.write(`${markdown(results, meta())}\n`);
