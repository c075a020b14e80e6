// The local control plane's own contract: stopping one ends exactly its processes and removes its directory,
// and a component that does not come up fails the start with that component's log, leaving nothing running.

import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ControlPlane } from "../cluster/control-plane.ts";
import { isRunning } from "../cluster/processes.ts";

const quiet = () => {};
const running: ControlPlane[] = [];
afterAll(async () => {
  for (const cp of running) await cp.stop();
});

/** Pids whose command line mentions `text` (every component gets its cluster directory in its flags). */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

async function readyz(cp: ControlPlane): Promise<number> {
  return (await cp.api.request("GET", "/readyz")).status;
}

describe("local control plane lifecycle", () => {
  it("stops exactly the processes it started and removes its directory", { timeout: 180_000 }, async () => {
    const a = await ControlPlane.start({ log: quiet, nodes: 1 });
    running.push(a);
    const b = await ControlPlane.start({ log: quiet, nodes: 1 });
    running.push(b);
    const aProcesses = Object.values(a.state.processes);
    expect(aProcesses).toHaveLength(5);

    await a.stop();
    running.splice(running.indexOf(a), 1);
    for (const p of aProcesses) expect(await isRunning(p)).toBe(false);
    expect(existsSync(a.dir)).toBe(false);

    // The other cluster, with the same binaries, is untouched and still serves.
    for (const p of Object.values(b.state.processes)) expect(await isRunning(p)).toBe(true);
    expect(await readyz(b)).toBe(200);
  });

  it("fails with the log of a component that does not come up, and leaves nothing running", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cp-broken-"));
    const broken = join(dir, "kube-apiserver");
    await writeFile(
      broken,
      "#!/bin/sh\necho 'E0101 run.go:1] cannot listen: address already in use' >&2\nexit 1\n",
    );
    await chmod(broken, 0o755);
    const saved = process.env.TEST_ASSET_KUBE_APISERVER;
    process.env.TEST_ASSET_KUBE_APISERVER = broken;
    try {
      const failure = await ControlPlane.start({ log: quiet, parentDir: dir }).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(failure?.message).toMatch(/kube-apiserver exited during startup/);
      expect(failure?.message).toContain("cannot listen: address already in use");
      // The directory is kept for a look at the logs; etcd, which did start, is stopped.
      const kept = /cluster files kept in (\S+)\)/.exec(failure?.message ?? "")?.[1] ?? "";
      expect(existsSync(join(kept, "logs", "etcd.log"))).toBe(true);
      expect(await processesMentioning(kept)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TEST_ASSET_KUBE_APISERVER;
      else process.env.TEST_ASSET_KUBE_APISERVER = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
