/**
 * Runs a server as the kubelet runs a container: in a memory cgroup at its memory limit and a CPU cgroup whose
 * CFS quota is its CPU allowance. Only child cgroups are created (cgroup v1: under /sys/fs/cgroup/memory and
 * /sys/fs/cgroup/cpu; v2: one under /sys/fs/cgroup with memory.max and cpu.max), so the host's hierarchy is
 * left as it is. Swap is off for the group (memory.swappiness 0 on v1), as the kubelet requires of a node.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

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

const V1_MEMORY = "/sys/fs/cgroup/memory";
const V1_CPU = "/sys/fs/cgroup/cpu";
const V2 = "/sys/fs/cgroup";

const read = (file: string) => readFileSync(file, "utf8").trim();
const field = (text: string, name: string) =>
  Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? 0);

/** A fresh group with the limits, or a reason this machine does not allow one. */
export function podCgroup(name: string, limits: PodLimits): PodCgroup | { unavailable: string } {
  try {
    if (existsSync(join(V1_MEMORY, "memory.limit_in_bytes"))) return v1(name, limits);
    if (existsSync(join(V2, "cgroup.controllers"))) return v2(name, limits);
    return { unavailable: "no cgroup v1 memory controller and no cgroup v2 hierarchy" };
  } catch (err) {
    return { unavailable: `cannot create a cgroup (${(err as Error).message}); run the bench as root` };
  }
}

function joining(procsFiles: string[], command: readonly string[]): string[] {
  const joins = procsFiles.map((f) => `echo $$ > '${f}'`).join(" && ");
  return ["/bin/sh", "-c", `${joins} && exec "$0" "$@"`, ...command];
}

function removeAll(dirs: string[]) {
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch {
      // A process is still exiting; the kernel frees the group with the last one.
    }
  }
}

function v1(name: string, limits: PodLimits): PodCgroup {
  const memory = join(V1_MEMORY, name);
  const cpu = join(V1_CPU, name);
  mkdirSync(memory);
  writeFileSync(join(memory, "memory.limit_in_bytes"), String(limits.memoryBytes));
  writeFileSync(join(memory, "memory.swappiness"), "0");
  mkdirSync(cpu);
  writeFileSync(join(cpu, "cpu.cfs_period_us"), String(CFS_PERIOD_US));
  const quota = limits.cpuMillis === undefined ? -1 : Math.round((limits.cpuMillis / 1000) * CFS_PERIOD_US);
  writeFileSync(join(cpu, "cpu.cfs_quota_us"), String(quota));
  return {
    wrap: (command) => joining([join(memory, "cgroup.procs"), join(cpu, "cgroup.procs")], command),
    memory: () => ({
      peakBytes: Number(read(join(memory, "memory.max_usage_in_bytes"))),
      limitHits: Number(read(join(memory, "memory.failcnt"))),
      oomKills: field(read(join(memory, "memory.oom_control")), "oom_kill"),
    }),
    remove: () => removeAll([memory, cpu]),
  };
}

function v2(name: string, limits: PodLimits): PodCgroup {
  const dir = join(V2, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "memory.max"), String(limits.memoryBytes));
  writeFileSync(join(dir, "memory.swap.max"), "0");
  const quota = limits.cpuMillis === undefined ? "max" : String((limits.cpuMillis / 1000) * CFS_PERIOD_US);
  writeFileSync(join(dir, "cpu.max"), `${quota} ${CFS_PERIOD_US}`);
  return {
    wrap: (command) => joining([join(dir, "cgroup.procs")], command),
    memory: () => {
      const events = read(join(dir, "memory.events"));
      return {
        peakBytes: existsSync(join(dir, "memory.peak")) ? Number(read(join(dir, "memory.peak"))) : Number.NaN,
        limitHits: field(events, "max"),
        oomKills: field(events, "oom_kill"),
      };
    },
    remove: () => removeAll([dir]),
  };
}
