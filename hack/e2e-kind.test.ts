// hack/e2e-kind.sh refuses to start, with a message that says what to do, when kind (or Go to build it) or a
// working Docker is missing, before it creates or builds anything; and where Docker cannot pull kindest/node
// it takes the locally built stand-in node image with its cluster config. kind, docker, kubectl, go and
// sysctl are stand-in scripts here, each logging how it was called.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const SCRIPT = join(import.meta.dirname, "e2e-kind.sh");

let dir: string;
let bin: string;
let log: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "e2e-kind-test-"));
  bin = join(dir, "bin");
  log = join(dir, "calls.log");
  writeFileSync(log, "");
  mkdirSync(bin);
  // Only what the script itself uses before it would touch a cluster.
  for (const tool of [
    "dirname",
    "awk",
    "cat",
    "cut",
    "sha256sum",
    "dpkg",
    "mkdir",
    "mv",
    "rm",
    "grep",
    "timeout",
    "bash",
    "sed",
  ]) {
    const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    symlinkSync(found, join(bin, tool));
  }
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function fake(name: string, body: string): void {
  const path = join(bin, name);
  writeFileSync(path, `#!/bin/bash\necho "${name} $*" >> "${log}"\n${body}\n`);
  chmodSync(path, 0o755);
}

const kindOk = () => fake("kind", 'if [ "$1" = version ]; then echo "kind v0.33.0 go1.26.8 linux/amd64"; fi');
const dockerAnswering = (pull: "pulls" | "cannot pull") =>
  fake(
    "docker",
    `case "$1" in
version) echo 29.0.0 ;;
image) exit 1 ;;
pull) ${pull === "pulls" ? "exit 0" : 'echo "Error response from daemon: Get \\"https://registry-1.docker.io/v2/\\": dial tcp: lookup registry-1.docker.io: no such host" >&2; exit 1'} ;;
*) exit 0 ;;
esac`,
  );
const otherTools = () => {
  fake("kubectl", "exit 0");
  fake("go", "exit 0");
  fake("prometheus", "exit 0");
};

function run(): { code: number | null; stderr: string; calls: string[] } {
  const res = spawnSync("/bin/bash", [SCRIPT], {
    encoding: "utf8",
    env: { PATH: bin, HOME: dir, E2E_KIND_WORKDIR: join(dir, "work") },
    timeout: 20_000,
  });
  return { code: res.status, stderr: res.stderr, calls: readFileSync(log, "utf8").trim().split("\n") };
}

describe("hack/e2e-kind.sh preflight", () => {
  it("without kind and without Go to build it: says how to install the pinned kind and stops", () => {
    dockerAnswering("pulls");
    fake("kubectl", "exit 0");
    fake("prometheus", "exit 0");
    const { code, stderr, calls } = run();
    expect(code).toBe(1);
    expect(stderr).toContain("kind v0.33.0 is not on PATH");
    expect(stderr).toContain("go install sigs.k8s.io/kind@v0.33.0");
    expect(stderr).not.toContain("docker is not on PATH");
    expect(calls.filter((c) => /^docker (pull|build)/.test(c))).toEqual([]);
  });

  it("without docker: says kind needs Docker, and creates no cluster", () => {
    kindOk();
    otherTools();
    const { code, stderr, calls } = run();
    expect(code).toBe(1);
    expect(stderr).toContain("docker is not on PATH");
    expect(stderr).not.toContain("kind v0.33.0 is not on PATH");
    expect(calls.filter((c) => c.startsWith("kind create"))).toEqual([]);
  });

  it("with a Docker daemon that does not answer: shows Docker's own error", () => {
    kindOk();
    otherTools();
    fake(
      "docker",
      'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1',
    );
    const { code, stderr, calls } = run();
    expect(code).toBe(1);
    expect(stderr).toContain("Docker does not answer: Cannot connect to the Docker daemon");
    expect(calls.filter((c) => c.startsWith("kind create"))).toEqual([]);
  });

  it("when Docker cannot pull the pinned kindest/node: creates the cluster from the local stand-in node image", () => {
    kindOk();
    otherTools();
    fake("sysctl", "echo 0");
    // The stand-in is already built (hack/node-image/build.sh finds its tag); the cluster creation fails here.
    fake(
      "docker",
      `case "$1 $2" in
"version "*) echo 29.0.0 ;;
"image inspect") case "$3" in greeter-operator.local/kind-node:*) exit 0 ;; *) exit 1 ;; esac ;;
"pull "*) echo "Error response from daemon: dial tcp: lookup registry-1.docker.io: no such host" >&2; exit 1 ;;
"network inspect") exit 1 ;;
*) exit 0 ;;
esac`,
    );
    fake("kind", 'case "$1" in version) echo "kind v0.33.0 go1.26.8 linux/amd64" ;; create) exit 1 ;; esac');
    const { code, stderr, calls } = run();
    expect(code).toBe(1);
    expect(stderr).toContain("Docker cannot pull kindest/node:v1.37.0");
    expect(stderr).toContain("LOCAL STAND-IN");
    const create = calls.find((c) => c.startsWith("kind create cluster"));
    expect(create).toMatch(/--image greeter-operator\.local\/kind-node:v1\.37\.\d+-[0-9a-f]{12} /);
    expect(create).toContain(`--config ${join(import.meta.dirname, "node-image", "cluster.yaml")}`);
    // The node's own Docker network, and the host sysctls recorded before kubelet changes them.
    expect(calls).toContain(
      "docker network create -d bridge --subnet 172.29.0.0/24 " +
        "-o com.docker.network.bridge.enable_ip_masquerade=true -o com.docker.network.driver.mtu=1500 " +
        "--label io.x-k8s.kind.network=greeter-e2e greeter-e2e",
    );
    expect(calls).toContain("sysctl -n vm.overcommit_memory");
  });

  it("lists every missing prerequisite at once", () => {
    const { code, stderr } = run();
    expect(code).toBe(1);
    expect(stderr).toContain("5 prerequisite(s) missing");
    for (const tool of ["kind v0.33.0", "docker", "kubectl", "go", "prometheus"])
      expect(stderr).toContain(`${tool} is not on PATH`);
  });
});
