// The binary lookup order of hack/control-plane/build.sh: TEST_ASSET_<NAME>, then KUBEBUILDER_ASSETS, then
// the version-keyed cache; --check never builds.
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const script = join(dirname(fileURLToPath(import.meta.url)), "build.sh");
const names = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"];

function buildSh(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  // Only PATH and HOME from the outside: a developer's own TEST_ASSET_* or KUBEBUILDER_ASSETS must not leak in.
  const base = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" };
  return new Promise((resolve) => {
    execFile("bash", [script, ...args], { env: { ...base, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

const parse = (stdout: string) =>
  Object.fromEntries(
    stdout
      .trim()
      .split("\n")
      .map((l) => l.split("=", 2)),
  );

async function fakeBinary(path: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, "#!/bin/sh\n");
  await chmod(path, 0o755);
  return path;
}

describe("hack/control-plane/build.sh lookup", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cp-lookup-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reports what is missing and builds nothing with --check", async () => {
    const res = await buildSh(["--check"], { GREETER_CACHE_DIR: join(dir, "cache") });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("missing:");
    for (const n of names) expect(res.stderr).toContain(n);
    expect(res.stdout).toBe("");
  });

  it("prefers TEST_ASSET_<NAME>, then KUBEBUILDER_ASSETS, then the cache", async () => {
    const cache = join(dir, "cache");
    const assets = join(dir, "kubebuilder");
    const env: Record<string, string> = { GREETER_CACHE_DIR: cache, KUBEBUILDER_ASSETS: assets };
    env.TEST_ASSET_KUBE_APISERVER = await fakeBinary(join(dir, "own", "kube-apiserver"));
    await fakeBinary(join(assets, "kube-apiserver")); // shadowed by TEST_ASSET_KUBE_APISERVER
    await fakeBinary(join(assets, "etcd"));
    // The rest come from the cache, found under their pinned versions.
    const check = await buildSh(["--check"], env);
    const missing = check.stderr;
    expect(check.code).toBe(1);
    expect(missing).not.toMatch(/\betcd\b/);
    expect(missing).not.toContain("kube-apiserver");
    const versions = { k8s: "", kwok: "" };
    for (const line of (await buildSh(["--versions"], env)).stdout.trim().split("\n")) {
      const [k, v] = line.split("=");
      if (k === "k8s" || k === "kwok") versions[k] = v ?? "";
    }
    for (const n of ["kube-controller-manager", "kube-scheduler"]) {
      await fakeBinary(join(cache, "k8s", versions.k8s, "bin", n));
    }
    await fakeBinary(join(cache, "kwok", versions.kwok, "bin", "kwok"));

    const res = await buildSh(["--check"], env);
    expect(res.code).toBe(0);
    expect(parse(res.stdout)).toEqual({
      etcd: join(assets, "etcd"),
      "kube-apiserver": join(dir, "own", "kube-apiserver"),
      "kube-controller-manager": join(cache, "k8s", versions.k8s, "bin", "kube-controller-manager"),
      "kube-scheduler": join(cache, "k8s", versions.k8s, "bin", "kube-scheduler"),
      kwok: join(cache, "kwok", versions.kwok, "bin", "kwok"),
    });
  });

  it("rejects a TEST_ASSET_<NAME> that is not an executable", async () => {
    const res = await buildSh(["--check"], {
      GREETER_CACHE_DIR: join(dir, "cache"),
      TEST_ASSET_ETCD: join(dir, "nope"),
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("TEST_ASSET_ETCD");
  });
});
