// `make dev` where Docker works: a kind cluster `greeter-dev` with real pods (hack/e2e-kind.sh up: the pinned
// kindest/node, or the local stand-in node image where none can be pulled), the operator deployed in it by
// `kubectl apply -k config/default` from the images just built, and the sample Greeter. The operator runs
// in the cluster, not from source, so what a newcomer pokes at is what users install: the same image,
// RBAC, securityContext and leader election, and its pods reach it like a user's would.
// It then checks the command it prints, and follows the operator's logs until Ctrl-C; the cluster stays.
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "../test/cluster/paths.ts";

const run = promisify(execFile);
const say = (msg: string) => process.stderr.write(`\x1b[1m[dev]\x1b[0m ${msg}\n`);

export const DEV_CLUSTER = "greeter-dev";
const workdir = join(repoRoot, ".tmp", "kind-dev");
const kubeconfig = join(workdir, "kubeconfig");
const OPERATOR_NS = "greeter-operator-system";
const SAMPLE = "hello";

/** True when a Docker daemon answers (then kind can run here). */
export async function dockerAnswers(): Promise<boolean> {
  try {
    await run("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const env = {
  ...process.env,
  KIND_CLUSTER_NAME: DEV_CLUSTER,
  E2E_KIND_WORKDIR: workdir,
  // Beside the kind suite's own cluster (172.29.0.0/24), never overlapping it.
  KIND_NETWORK_SUBNET: process.env.KIND_NETWORK_SUBNET ?? "172.29.1.0/24",
  KUBECONFIG: kubeconfig,
};

async function kubectl(args: string[]): Promise<string> {
  const { stdout } = await run("kubectl", args, { env, maxBuffer: 16 << 20 });
  return stdout;
}

function step(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"], env, cwd: repoRoot });
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}`)),
    );
  });
}

export async function kindDev(): Promise<void> {
  say(
    `Docker answers: a kind cluster "${DEV_CLUSTER}" with real pods (DEV_CLUSTER=local for the local control plane)`,
  );
  await step("bash", [join(repoRoot, "hack", "e2e-kind.sh"), "up"]);
  say("applying config/samples/");
  process.stderr.write(await kubectl(["apply", "-f", join(repoRoot, "config", "samples")]));
  say(`waiting for greeter/${SAMPLE} to be Ready`);
  await kubectl(["wait", `greeter/${SAMPLE}`, "--for=condition=Ready", "--timeout=180s"]);

  // Through the Service's ClusterIP (kube-proxy), from the node: what another pod in the cluster would do.
  const node = `${DEV_CLUSTER}-control-plane`;
  const curl = (ip: string) => [
    "exec",
    node,
    "curl",
    "-sS",
    "-m",
    "5",
    "-H",
    "content-type: application/json",
    "-d",
    '{"name":"Alice"}',
    `http://${ip}/echo-name`,
  ];
  const ip = (await kubectl(["get", "service", SAMPLE, "-o", "jsonpath={.spec.clusterIP}"])).trim();
  const { stdout: answer } = await run("docker", curl(ip));
  const printed = `docker exec ${node} curl -sS -H 'content-type: application/json' -d '{"name":"Alice"}' "http://$(kubectl get service ${SAMPLE} -o jsonpath='{.spec.clusterIP}')/echo-name"`;

  process.stdout.write(
    [
      "",
      `The cluster is up, the operator runs in it (namespace ${OPERATOR_NS}), and greeter/${SAMPLE} answers:`,
      `  ${answer.trim()}`,
      "",
      "In another terminal:",
      `  export KUBECONFIG=${kubeconfig}`,
      "  kubectl get greeters,deployments,services,pods",
      `  ${printed}`,
      `  kubectl scale greeter/${SAMPLE} --replicas=3`,
      `  kubectl edit greeter/${SAMPLE}          # change spec.greeting; the pods roll over`,
      "  # the operator's metrics: HTTPS, to a token bound to greeter-operator-metrics-reader (docs/operator-runtime.md)",
      "",
      "After changing the operator's code: make dev again (rebuilds and rolls the images out).",
      `Delete the cluster: KIND_CLUSTER_NAME=${DEV_CLUSTER} E2E_KIND_WORKDIR=${workdir} hack/e2e-kind.sh down`,
      "",
      "Following the operator's logs; Ctrl-C stops following (the cluster stays).",
      "",
    ].join("\n"),
  );
  const logs = spawn(
    "kubectl",
    [
      "-n",
      OPERATOR_NS,
      "logs",
      "-f",
      "--prefix",
      "--max-log-requests=4",
      "-l",
      "app.kubernetes.io/name=greeter-operator",
    ],
    { stdio: ["ignore", "inherit", "inherit"], env },
  );
  process.on("SIGINT", () => logs.kill("SIGTERM"));
  await new Promise((r) => logs.once("exit", r));
}
