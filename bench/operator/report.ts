/** The results table (markdown) of `npm run bench:operator`. */
import { total } from "./audit.ts";

export interface Result {
  n: number;
  workers: number;
  /** Load average (1/5/15 min) when this N started and when it ended. */
  loadStart?: string;
  load: string;
  /** Wall time of this N, cluster start to stop. */
  wallS?: number;
  convergenceS: number;
  createdS: number;
  podsReadyS: number;
  /** Seconds from a Greeter's pod first Ready to the Greeter first Ready, over the converging Greeters. */
  readyAfterPodS?: { p50: number; p90: number; max: number };
  /** Absent, as ratio, when the run failed before the floor (`failed`). */
  floorS?: number;
  /** Undefined when the floor's pods were not all Ready in time (the floor's own time still counts). */
  floorPodsReadyS: number | undefined;
  ratio?: number;
  operatorRequestsPerGreeter: Record<string, number>;
  operatorWritesPerGreeter: Record<string, number>;
  writesPerGreeter: number;
  writesPerGreeterExclEvents: number;
  apiserverRequestsPerGreeter: Record<string, number>;
  convergeCpuS: number;
  rssConvergedMiB: number;
  /** Maximum of one RSS sample a second while converging, and over converge, idle and storm. */
  rssPeakConvergeMiB?: number;
  rssPeakMiB?: number;
  /** The memory cgroup's own peak (what the limit is enforced on; includes page cache, e.g. of the log file). */
  cgroupPeakConvergeMiB?: number;
  cgroupPeakMiB?: number;
  oomKills?: number;
  /** Median over the idle phase. */
  rssMiB: number;
  rssIdleMaxMiB: number;
  heapMiB: number;
  idle: { seconds: number; writes: Record<string, number>; cpuS: number; reconciles: number };
  /** Absent when the run skipped it (--storm off). */
  storm?: { seconds: number; writes: Record<string, number>; writesPerGreeter: number; cpuS: number };
  /** Absent when the run failed before the restart. `rssPeakMiB`: the restarted process's high-water mark (relist included). */
  recovery?: { ready: number; confirmed: number; writes: Record<string, number>; rssPeakMiB?: number };
  /** The phase after converging that failed (storm, restart or floor): the phases after it did not run. */
  failed?: { phase: string; message: string };
}

const or = (v: number | undefined, unit = " s") => (v === undefined ? "—" : `${v}${unit}`);

const fmt = (o: Record<string, number>) =>
  Object.entries(o)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k} ${v}`)
    .join(", ") || "0";

function slope(results: Result[], pick: (r: Result) => number): string {
  if (results.length < 2) return "n/a";
  const a = results[0] as Result;
  const b = results[results.length - 1] as Result;
  return (((pick(b) - pick(a)) / (b.n - a.n)) * 1000).toFixed(1);
}

export function markdown(
  unsorted: Result[],
  meta: {
    date: string;
    loadBefore: string;
    loadAfter: string;
    resync: string;
    /** How the operator ran, e.g. "node dist/operator/main.js under a 384 MiB memory cgroup". */
    operator: string;
    limitMiB?: number;
  },
): string {
  // A run may go largest first (so its longest N fails early); tables read smallest first.
  const results = [...unsorted].sort((a, b) => a.n - b.n);
  const lines = [
    `# Operator at scale (${meta.date})`,
    "",
    `\`npm run bench:operator\`: local control plane (test/cluster, kwok), operator ${meta.operator}, default workers (${results[0]?.workers}), RESYNC_PERIOD=${meta.resync}, Greeters with replicas: 1 over 10 namespaces. Machine: 2 cores shared with other engineers' test runs; load average (1/5/15 min) before ${meta.loadBefore}, after ${meta.loadAfter}.`,
    "",
    "| N | convergence | floor | ratio | operator writes/Greeter (excl. Events) | operator requests/Greeter | RSS steady (idle median; max) | RSS just after converging | heap (steady) | CPU to converge | load after |",
    "| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ...results.map(
      (r) =>
        `| ${r.n} | ${r.convergenceS} s | ${or(r.floorS)} | ${or(r.ratio, "")} | ${r.writesPerGreeter.toFixed(2)} (${r.writesPerGreeterExclEvents.toFixed(2)}) | ${fmt(r.operatorRequestsPerGreeter)} | ${r.rssMiB} MiB (${r.rssIdleMaxMiB}) | ${r.rssConvergedMiB} MiB | ${r.heapMiB} MiB | ${r.convergeCpuS} s | ${r.load} |`,
    ),
    "",
    `RSS slope: ${slope(results, (r) => r.rssMiB)} MiB per 1,000 Greeters; heap slope ${slope(results, (r) => r.heapMiB)} MiB per 1,000.`,
    "",
    "| N | Greeters created | their pods Ready | Greeter Ready after its pod (p50 / p90 / max) | floor pods Ready | idle writes | idle CPU | idle reconciles | storm | storm writes/Greeter | storm CPU | restart: Ready | restart: all confirmed | restart writes | restart: RSS peak |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${r.n} | ${r.createdS} s | ${r.podsReadyS} s | ${r.readyAfterPodS ? `${r.readyAfterPodS.p50} / ${r.readyAfterPodS.p90} / ${r.readyAfterPodS.max} s` : "—"} | ${r.floorPodsReadyS !== undefined ? `${r.floorPodsReadyS} s` : r.floorS !== undefined ? "not all Ready" : "—"} | ${total(r.idle.writes)} in ${r.idle.seconds} s | ${r.idle.cpuS} s | ${r.idle.reconciles} | ${r.storm ? `${r.storm.seconds} s` : "—"} | ${r.storm?.writesPerGreeter.toFixed(2) ?? "—"} | ${r.storm ? `${r.storm.cpuS} s` : "—"} | ${or(r.recovery?.ready)} | ${or(r.recovery?.confirmed)} | ${r.recovery ? total(r.recovery.writes) : "—"} | ${or(r.recovery?.rssPeakMiB, " MiB")} |`,
    ),
    "",
    ...results.flatMap((r) =>
      r.failed
        ? [
            `- N=${r.n}: the ${r.failed.phase} failed (${r.failed.message}); the phases after it did not run.`,
            "",
          ]
        : [],
    ),
    "Operator writes per Greeter on creation, by verb and resource (audit log, operator identity only):",
    "",
    ...results.map(
      (r) =>
        `- N=${r.n}: ${fmt(r.operatorWritesPerGreeter)}; storm: ${r.storm ? fmt(r.storm.writes) : "not run"}`,
    ),
    "",
    "API server requests per Greeter during convergence (apiserver_request_total, every client: operator, bench, controller manager, scheduler, kwok):",
    "",
    ...results.map((r) => `- N=${r.n}: ${fmt(r.apiserverRequestsPerGreeter)}`),
    "",
  ];
  return lines.join("\n");
}
