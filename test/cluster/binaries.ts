import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./paths.ts";

const run = promisify(execFile);

export interface Binaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
}

const keys: Record<string, keyof Binaries> = {
  etcd: "etcd",
  "kube-apiserver": "kubeApiserver",
  "kube-controller-manager": "kubeControllerManager",
  "kube-scheduler": "kubeScheduler",
  kwok: "kwok",
};

const controlPlaneDir = join(repoRoot, "hack", "control-plane");

/**
 * Finds the binaries (TEST_ASSET_<NAME>, KUBEBUILDER_ASSETS, the version-keyed cache), building the
 * missing ones from the Go module proxy. The lookup lives in build.sh alone, shared with `make prereqs`;
 * its progress goes to our stderr because the first build takes many minutes.
 */
export async function ensureBinaries(): Promise<Binaries> {
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn("bash", [join(controlPlaneDir, "build.sh")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`hack/control-plane/build.sh exited with ${code}`)),
    );
  });
  const found: Partial<Binaries> = {};
  for (const line of stdout.split("\n")) {
    const eq = line.indexOf("=");
    const key = keys[line.slice(0, eq)];
    if (eq > 0 && key) found[key] = line.slice(eq + 1);
  }
  for (const [name, key] of Object.entries(keys)) {
    if (!found[key]) throw new Error(`hack/control-plane/build.sh did not report ${name}`);
  }
  return found as Binaries;
}

/** The directory of a module pinned by one of hack/control-plane's go.mod files, downloaded if needed. */
export async function pinnedModuleDir(component: string, module: string): Promise<string> {
  // The committed go.sum verifies the download, so the checksum database is not needed here.
  const env = { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" };
  try {
    const { stdout } = await run("go", ["mod", "download", "-json", module], {
      cwd: join(controlPlaneDir, component),
      env,
      maxBuffer: 1 << 20,
    });
    const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(info.Error ?? "no Dir in go mod download output");
    return info.Dir;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `go mod download ${module} (hack/control-plane/${component}): ${e.stderr || e.stdout || e.message}`,
    );
  }
}
