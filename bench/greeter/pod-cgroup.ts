/**
 * Runs a server as the kubelet runs a container: in a memory cgroup at its memory limit, with swap off as the
 * kubelet requires of a node (bench/operator/memory-limit.ts makes it), and a CPU cgroup whose CFS quota is its
 * CPU allowance. Only child cgroups are created (cgroup v1: under /sys/fs/cgroup/memory and /sys/fs/cgroup/cpu;
 * v2: one under /sys/fs/cgroup, which holds both), so the host's hierarchy is left as it is.
 */
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { memoryCgroup } from "../operator/memory-limit.ts";

/** The kubelet's CFS period: a quota of 100m is 10 ms of CPU in every 100 ms. */
const CFS_PERIOD_US = 100_000;

export type PodLimits = {
  memoryBytes: number;
  /** undefined: no CPU quota (a container without a CPU limit). */
  cpuMillis: number | undefined;
};

export type MemoryPeak = {
  /** The most the group was ever charged (v1 memory.max_usage_in_bytes, v2 memory.peak). */
  peakBytes: number;
  /** How often a charge hit the limit and reclaim had to run (v1 memory.failcnt, v2 memory.events max). */
  limitHits: number;
  oomKills: number;
};

export type PodCgroup = {
  /** The command wrapped so that it joins the group before it execs (its pid stays the same). */
  wrap(command: readonly string[]): string[];
  memory(): MemoryPeak;
  remove(): void;
};

const V1_CPU = "/sys/fs/cgroup/cpu";
const V2 = "/sys/fs/cgroup";

/** A fresh group with the limits, or a reason this machine does not allow one. */
export function podCgroup(name: string, limits: PodLimits): PodCgroup | { unavailable: string } {
  const memory = memoryCgroup(name, limits.memoryBytes, { swap: false });
  if (!memory) return { unavailable: "cannot create a memory cgroup (run the bench as root)" };
  try {
    const cpuProcs = cpuGroup(name, limits.cpuMillis);
    return {
      wrap: (command) => joining([memory.procsFile, ...cpuProcs], command),
      memory: () => ({
        peakBytes: memory.peakBytes(),
        limitHits: memory.limitHits(),
        oomKills: memory.oomKills(),
      }),
      remove: () => {
        memory.remove();
        if (cpuProcs.length > 0) removeDir(join(V1_CPU, name));
      },
    };
  } catch (err) {
    memory.remove();
    return { unavailable: `cannot set a CPU quota (${(err as Error).message}); run the bench as root` };
  }
}

/** Sets the quota; returns the procs files a process must also join (none on v2: the memory group is the group). */
function cpuGroup(name: string, cpuMillis: number | undefined): string[] {
  if (existsSync(V1_CPU)) {
    const dir = join(V1_CPU, name);
    mkdirSync(dir);
    writeFileSync(join(dir, "cpu.cfs_period_us"), String(CFS_PERIOD_US));
    const quota = cpuMillis === undefined ? -1 : Math.round((cpuMillis / 1000) * CFS_PERIOD_US);
    writeFileSync(join(dir, "cpu.cfs_quota_us"), String(quota));
    return [join(dir, "cgroup.procs")];
  }
  const quota = cpuMillis === undefined ? "max" : String(Math.round((cpuMillis / 1000) * CFS_PERIOD_US));
  writeFileSync(join(V2, name, "cpu.max"), `${quota} ${CFS_PERIOD_US}`);
  return [];
}

function joining(procsFiles: string[], command: readonly string[]): string[] {
  const joins = procsFiles.map((f) => `echo $$ > '${f}'`).join(" && ");
  return ["/bin/sh", "-c", `${joins} && exec "$0" "$@"`, ...command];
}

function removeDir(dir: string) {
  try {
    rmdirSync(dir);
  } catch {
    // A process is still exiting; the kernel frees the group with the last one.
  }
}
