// Usage: node test/cluster/cli.ts up|down|env|status|build
//   up      start a local control plane (building the binaries the first time) and print how to use it;
//           it keeps running in the background until `down`
//   down    stop it and remove its directory
//   env     print `export KUBECONFIG=...` for the running one (eval "$(node test/cluster/cli.ts env)")
//   status  show each component's pid and whether it runs
//   build   only find or build the binaries
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureBinaries } from "./binaries.ts";
import { componentNames } from "./components.ts";
import { ControlPlane } from "./control-plane.ts";
import { repoRoot } from "./paths.ts";
import { isRunning } from "./processes.ts";

// The running cluster's directory is remembered in the repo's (git-ignored) .tmp.
const pointer = join(repoRoot, ".tmp", "control-plane-dir");

async function current(): Promise<ControlPlane | undefined> {
  try {
    return await ControlPlane.attach((await readFile(pointer, "utf8")).trim());
  } catch {
    return undefined;
  }
}

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case "up": {
      const existing = await current();
      if (existing) {
        console.error(`already running (${existing.dir}); \`node test/cluster/cli.ts down\` stops it`);
        console.log(`export KUBECONFIG=${existing.kubeconfig}`);
        return 0;
      }
      const cp = await ControlPlane.start({ crds: [join(repoRoot, "crds")] });
      await mkdir(join(repoRoot, ".tmp"), { recursive: true });
      await writeFile(pointer, cp.dir);
      console.error(`logs: ${join(cp.dir, "logs")}  audit: ${cp.state.auditLog}`);
      console.log(`export KUBECONFIG=${cp.kubeconfig}`);
      return 0;
    }
    case "down": {
      const cp = await current();
      if (!cp) {
        console.error("no control plane recorded in .tmp/control-plane-dir");
        return 0;
      }
      await cp.stop();
      await rm(pointer, { force: true });
      console.error(`stopped and removed ${cp.dir}`);
      return 0;
    }
    case "env": {
      const cp = await current();
      if (!cp) {
        console.error("not running: node test/cluster/cli.ts up");
        return 1;
      }
      console.log(`export KUBECONFIG=${cp.kubeconfig}`);
      return 0;
    }
    case "status": {
      const cp = await current();
      if (!cp) {
        console.log("not running");
        return 1;
      }
      console.log(`dir ${cp.dir}\nserver ${cp.server}\nkubeconfig ${cp.kubeconfig}`);
      let ok = true;
      for (const name of componentNames) {
        const p = cp.state.processes[name];
        const up = p ? await isRunning(p) : false;
        ok &&= up;
        console.log(`${name.padEnd(24)} ${p ? `pid ${p.pid}` : "-"} ${up ? "running" : "NOT RUNNING"}`);
      }
      return ok ? 0 : 1;
    }
    case "build": {
      for (const [k, v] of Object.entries(await ensureBinaries())) console.log(`${k}=${v}`);
      return 0;
    }
    default:
      console.error("usage: node test/cluster/cli.ts up|down|env|status|build");
      return 2;
  }
}

process.exitCode = await main(process.argv[2]);
