// `make dev` / `npm run dev`: the operator against a cluster, with a sample Greeter.
// - KUBECONFIG set (or ~/.kube/config present): that cluster; the Greeter CRD is applied, samples are not.
// - otherwise, where Docker answers: a kind cluster with real pods, the operator deployed in it, the sample
//   Greeter, and a command that reaches it through its Service (hack/dev-kind.ts).
// - otherwise, or with DEV_CLUSTER=local (`make dev-local`): a local control plane (built from source the
//   first time, kwok nodes: no container runs), the CRDs, the sample Greeters.
// With a local control plane or your cluster, `node operator/main.ts` runs in the foreground; Ctrl-C stops
// it and the local control plane. `--watch` restarts the operator when its files change. Its metrics are
// plain HTTP on localhost:8080 (--metrics-secure=false): no token to fetch for a local run.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ControlPlane } from "../test/cluster/control-plane.ts";
import { repoRoot } from "../test/cluster/paths.ts";
import { dockerAnswers, kindDev } from "./dev-kind.ts";

const run = promisify(execFile);
const say = (msg: string) => process.stderr.write(`\x1b[1m[dev]\x1b[0m ${msg}\n`);

const operatorMain = join(repoRoot, "operator", "main.ts");
const crdsDir = join(repoRoot, "crds");
const samplesDir = join(repoRoot, "config", "samples");

async function kubectl(kubeconfig: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run("kubectl", args, { env: { ...process.env, KUBECONFIG: kubeconfig } });
    return stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === "ENOENT") throw new Error("kubectl is not on PATH");
    throw new Error(`kubectl ${args.join(" ")}: ${e.stderr || e.message}`);
  }
}

function startOperator(kubeconfig: string, watch: boolean): ChildProcess {
  const args = [...(watch ? ["--watch"] : []), operatorMain, "--metrics-secure=false"];
  say(`starting the operator: node ${args.map((a) => a.replace(`${repoRoot}/`, "")).join(" ")}`);
  // Its own process group: a terminal's Ctrl-C reaches only this script, which then stops the operator
  // gracefully with one SIGTERM (a second signal would make it exit at once).
  const child = spawn(process.execPath, args, {
    stdio: "inherit",
    env: { ...process.env, KUBECONFIG: kubeconfig },
    cwd: repoRoot,
    detached: true,
  });
  process.once("exit", () => child.kill("SIGKILL"));
  return child;
}

async function main(): Promise<void> {
  const watch = process.argv.includes("--watch");
  const defaultConfig = join(homedir(), ".kube", "config");
  const existing = process.env.KUBECONFIG || (existsSync(defaultConfig) ? defaultConfig : "");
  let cp: ControlPlane | undefined;
  let kubeconfig: string;
  let stopping = false;

  if (existing) {
    kubeconfig = existing;
    const context = (await kubectl(kubeconfig, ["config", "current-context"])).trim();
    say(
      `using your cluster: KUBECONFIG=${kubeconfig} (context ${context}); unset KUBECONFIG for a local one`,
    );
    if (existsSync(crdsDir)) {
      say("applying the Greeter CRD (crds/)");
      process.stderr.write(await kubectl(kubeconfig, ["apply", "--server-side", "-k", crdsDir]));
    }
  } else if (process.env.DEV_CLUSTER !== "local" && (await dockerAnswers())) {
    await kindDev();
    return;
  } else {
    if (process.env.DEV_CLUSTER !== "local")
      say(
        "Docker does not answer here, so no kind cluster: falling back to the local control plane, whose kwok " +
          "nodes run no containers (start Docker, e.g. bash hack/prereqs.d/40-docker.sh, for real pods)",
      );
    say("no KUBECONFIG and no ~/.kube/config: starting a local control plane (etcd, kube-apiserver, ");
    say(
      "kube-controller-manager, kube-scheduler, kwok); the first run builds them from source, many minutes",
    );
    // Its processes are detached (Ctrl-C does not reach them): whatever ends this process ends them too.
    const interrupted = () => process.exit(130);
    process.once("SIGINT", interrupted);
    process.once("SIGTERM", interrupted);
    cp = await ControlPlane.start({
      crds: [crdsDir],
      log: (m) => say(m),
      onCreated: (dir) => process.once("exit", () => ControlPlane.killSync(dir)),
    });
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    kubeconfig = cp.kubeconfig;
  }

  let operator: ChildProcess | undefined;
  if (existsSync(operatorMain)) {
    operator = startOperator(kubeconfig, watch);
    operator.on("exit", (code, signal) => {
      operator = undefined;
      if (!stopping)
        say(`the operator exited (${signal ?? `code ${code}`}); the cluster stays up, Ctrl-C stops it`);
    });
  } else {
    say("operator/main.ts does not exist yet: the cluster stays up without an operator");
  }

  if (cp) {
    if (existsSync(samplesDir)) {
      say("applying config/samples/");
      process.stderr.write(await kubectl(kubeconfig, ["apply", "-f", samplesDir]));
    } else {
      say("config/samples/ does not exist yet: no sample Greeter applied");
    }
  }

  const lines = [
    "",
    "Next, in another terminal:",
    `  export KUBECONFIG=${kubeconfig}`,
    "  kubectl get greeters",
    "  kubectl get deployments,services,servicemonitors,pods",
    "  curl -s localhost:8080/metrics     # the operator's metrics (plain HTTP here; HTTPS + token in a cluster)",
    "",
    cp
      ? `Control-plane logs: ${join(cp.dir, "logs")}   Ctrl-C stops everything.`
      : "Ctrl-C stops the operator.",
    "",
  ];
  process.stdout.write(lines.join("\n"));

  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    say(`${sig}: stopping`);
    if (operator) {
      const op = operator;
      const exited = new Promise((r) => op.once("exit", r));
      op.kill("SIGTERM");
      const timer = setTimeout(() => op.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    if (cp) {
      say("stopping the local control plane");
      await cp.stop();
    }
    process.exit(0);
  };
  // The cluster's processes are detached: without this, Node would exit (and clean up) right away.
  setInterval(() => {}, 1 << 30);
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((err: unknown) => {
  say(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
