/**
 * Runs the operator under the memory limit its Deployment gives it (config/manager/manager.yaml), as the
 * kubelet would: in a memory cgroup. The limit matters beyond OOM kills: Node sizes V8's heap from it, and
 * V8 lets the old generation grow to 4× its live size before a full collection when the heap limit is large
 * (a 24 GiB host gives a 4 GiB limit) but only ~1.3× under 384 MiB (a 259 MiB heap limit). Without the limit,
 * the bench would measure a heap policy the operator never runs with in a cluster.
 *
 * Needs a writable cgroup (root, cgroup v1 memory controller or cgroup v2 with memory delegated). Without one
 * the bench says so and falls back to the heap limit Node would choose under the same limit.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const V1 = "/sys/fs/cgroup/memory";
const V2 = "/sys/fs/cgroup";

/** The manager container's memory limit in bytes, from the shipped manifest. */
export function manifestMemoryLimit(root: string): number {
  const docs = parseAllDocuments(readFileSync(join(root, "config", "manager", "manager.yaml"), "utf8"));
  for (const doc of docs) {
    const obj = doc.toJS() as {
      kind?: string;
      spec?: { template?: { spec?: { containers?: { resources?: { limits?: { memory?: string } } }[] } } };
    };
    if (obj?.kind !== "Deployment") continue;
    const limit = obj.spec?.template?.spec?.containers?.[0]?.resources?.limits?.memory;
    if (limit) return bytes(limit);
  }
  throw new Error("config/manager/manager.yaml: the manager container has no memory limit");
}

function bytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`unsupported memory quantity ${q}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[m[2] ?? ""] ?? 1;
  return Number(m[1]) * unit;
}

export interface MemoryCgroup {
  /** Where a process must write its pid (before exec) to run under the limit. */
  procsFile: string;
  /** The most memory the cgroup has been charged since the last resetPeak (the kubelet's view of the pod). */
  peakBytes(): number;
  resetPeak(): void;
  /** How many times the kernel killed a process of this cgroup for reaching the limit. */
  oomKills(): number;
  /** How often a charge hit the limit and reclaim had to run (v1 memory.failcnt, v2 the `max` memory event). */
  limitHits(): number;
  /** Removes the cgroup once its processes are gone. */
  remove(): void;
}

/** The cgroup files that differ between v1 and v2. */
interface Files {
  limit: string;
  peak: string;
  oomKill: string;
  /** With the value that turns swap off for the group. */
  noSwap: [file: string, value: string];
  limitHits: (dir: string) => number;
}
const FILES_V1: Files = {
  limit: "memory.limit_in_bytes",
  peak: "memory.max_usage_in_bytes",
  oomKill: "memory.oom_control",
  noSwap: ["memory.swappiness", "0"],
  limitHits: (dir) => readNumber(join(dir, "memory.failcnt")),
};
const FILES_V2: Files = {
  limit: "memory.max",
  peak: "memory.peak",
  oomKill: "memory.events",
  noSwap: ["memory.swap.max", "0"],
  limitHits: (dir) => eventCount(join(dir, "memory.events"), "max"),
};

function readNumber(file: string): number {
  try {
    return Number(readFileSync(file, "utf8").trim()) || 0;
  } catch {
    return 0;
  }
}

/** A `name count` line of a flat-keyed cgroup file (memory.oom_control, memory.events). */
function eventCount(file: string, name: string): number {
  try {
    return Number(new RegExp(`^${name} (\\d+)$`, "m").exec(readFileSync(file, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * A fresh memory cgroup with the limit, or undefined when this machine does not let us make one. `swap: false`
 * turns swap off for the group, as the kubelet requires of a node.
 */
export function memoryCgroup(
  name: string,
  limitBytes: number,
  options: { swap?: boolean } = {},
): MemoryCgroup | undefined {
  const tryMake = (dir: string, files: Files): MemoryCgroup | undefined => {
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, files.limit), String(limitBytes));
      if (options.swap === false) writeFileSync(join(dir, files.noSwap[0]), files.noSwap[1]);
      return {
        procsFile: join(dir, "cgroup.procs"),
        peakBytes: () => readNumber(join(dir, files.peak)),
        resetPeak: () => {
          try {
            // v1 resets on any write; v2 (kernel ≥ 6.12) resets per open file, so this may do nothing there.
            writeFileSync(join(dir, files.peak), "0");
          } catch {
            // not resettable here: the peak then covers the whole bench
          }
        },
        oomKills: () => eventCount(join(dir, files.oomKill), "oom_kill"),
        limitHits: () => files.limitHits(dir),
        remove: () => {
          try {
            rmdirSync(dir);
          } catch {
            // still has a process (it is being killed); the kernel frees the limit with the last one
          }
        },
      };
    } catch {
      return undefined;
    }
  };
  if (existsSync(join(V1, "memory.limit_in_bytes"))) return tryMake(join(V1, name), FILES_V1);
  const controllers = join(V2, "cgroup.controllers");
  if (existsSync(controllers) && readFileSync(controllers, "utf8").includes("memory"))
    return tryMake(join(V2, name), FILES_V2);
  return undefined;
}
