/**
 * The operator as the integration suite runs it: `node operator/main.ts` as a child process, under the
 * ServiceAccount and least-privilege RBAC that config/default ships (a real token from the TokenRequest API),
 * with its metrics and probes on free loopback ports. Metrics are served as shipped, over HTTPS and authorized
 * by the API server; the tests read them with the token of a ServiceAccount bound to the metrics-reader role.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments, stringify } from "yaml";
import { kubectl, testKubeConfig } from "../cluster/testing.ts";
import { freePort } from "./free-port.ts";
import { scrapeWithToken, serviceAccountToken } from "./operator-metrics.ts";
import { type Sample, sampleValue } from "./prom-text.ts";

const MAIN = join(import.meta.dirname, "..", "..", "operator", "main.ts");
const CONFIG_DEFAULT = join(import.meta.dirname, "..", "..", "config", "default");

export const OPERATOR_NAMESPACE = "greeter-operator-system";
export const OPERATOR_SERVICE_ACCOUNT = "greeter-operator";
/** How the API server (and so its audit log) names the operator. */
export const OPERATOR_USER = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SERVICE_ACCOUNT}`;
/** The tests' scraper: a ServiceAccount bound to greeter-operator-metrics-reader. */
export const METRICS_READER_SERVICE_ACCOUNT = "integration-metrics-reader";

const RBAC_KINDS = new Set([
  "Namespace",
  "ServiceAccount",
  "Role",
  "RoleBinding",
  "ClusterRole",
  "ClusterRoleBinding",
]);

async function must(args: string[], input?: string): Promise<string> {
  const res = await kubectl(args, input === undefined ? {} : { input });
  if (res.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${res.code}): ${res.stderr}`);
  return res.stdout;
}

let kubeconfigPromise: Promise<string> | undefined;

/**
 * Installs the operator's Namespace, ServiceAccount and RBAC exactly as config/default renders them (not the
 * Deployment: the operator runs here as a process), and returns a kubeconfig with a token of that
 * ServiceAccount. So every test also proves the shipped RBAC is enough.
 */
export function operatorKubeconfig(): Promise<string> {
  kubeconfigPromise ??= (async () => {
    const rendered = await must(["kustomize", CONFIG_DEFAULT]);
    const rbac = parseAllDocuments(rendered)
      .map((d) => d.toJS() as { kind?: string })
      .filter((o) => o?.kind && RBAC_KINDS.has(o.kind));
    await must(
      ["apply", "--server-side", "--field-manager=integration-tests", "-f", "-"],
      rbac.map((o) => stringify(o)).join("---\n"),
    );
    const token = (
      await must(["create", "token", OPERATOR_SERVICE_ACCOUNT, "-n", OPERATOR_NAMESPACE, "--duration=6h"])
    ).trim();
    const admin = testKubeConfig();
    const cluster = admin.getCurrentCluster();
    if (!cluster) throw new Error("the test kubeconfig has no current cluster");
    const caData =
      cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString("base64") : undefined);
    const doc = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "test",
          cluster: {
            server: cluster.server,
            ...(caData ? { "certificate-authority-data": caData } : {}),
            ...(cluster.skipTLSVerify ? { "insecure-skip-tls-verify": true } : {}),
          },
        },
      ],
      users: [{ name: OPERATOR_SERVICE_ACCOUNT, user: { token } }],
      contexts: [{ name: "test", context: { cluster: "test", user: OPERATOR_SERVICE_ACCOUNT } }],
      "current-context": "test",
    };
    const path = join(await mkdtemp(join(tmpdir(), "greeter-operator-sa-")), "kubeconfig");
    await writeFile(path, stringify(doc), { mode: 0o600 });
    return path;
  })();
  return kubeconfigPromise;
}

let readerTokenPromise: Promise<string> | undefined;

/** A token that may read the operator's metrics (after operatorKubeconfig() has installed the role). */
export function metricsReaderToken(): Promise<string> {
  readerTokenPromise ??= operatorKubeconfig().then(() =>
    serviceAccountToken(OPERATOR_NAMESPACE, METRICS_READER_SERVICE_ACCOUNT, { reader: true }),
  );
  return readerTokenPromise;
}

export interface OperatorOptions {
  /** Extra environment (e.g. WATCH_NAMESPACES, LEADER_ELECT); see operator/config.ts. */
  env?: Record<string, string>;
  /** Label for logs and errors. */
  name?: string;
  /** false: plain HTTP metrics (--metrics-secure=false), read without a token. Default true, as shipped. */
  metricsSecure?: boolean;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export class OperatorProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly metricsUrl: string;
  readonly probesUrl: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The bearer token metrics() sends; undefined with plain HTTP metrics. */
  readonly metricsToken: string | undefined;
  #lines: string[] = [];

  private constructor(
    name: string,
    child: ChildProcess,
    ports: { metrics: number; probes: number },
    metricsToken: string | undefined,
  ) {
    this.name = name;
    this.child = child;
    this.metricsToken = metricsToken;
    this.metricsUrl = `${metricsToken === undefined ? "http" : "https"}://127.0.0.1:${ports.metrics}`;
    this.probesUrl = `http://127.0.0.1:${ports.probes}`;
    const keep = (chunk: Buffer) => {
      this.#lines.push(...chunk.toString().split("\n").filter(Boolean));
      if (this.#lines.length > 2000) this.#lines.splice(0, this.#lines.length - 2000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.exited = once(child, "exit").then(([code, signal]) => {
      running.delete(child);
      return { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
  }

  /** Starts the operator and waits until /readyz answers 200 (caches synced). */
  static async start(opts: OperatorOptions = {}): Promise<OperatorProcess> {
    const kubeconfig = await operatorKubeconfig();
    const secure = opts.metricsSecure ?? true;
    const token = secure ? await metricsReaderToken() : undefined;
    const [metricsPort, probePort] = [await freePort(), await freePort()];
    // As the image runs it (Dockerfile.operator).
    const child = spawn(process.execPath, ["--expose-gc", MAIN], {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        KUBECONFIG: kubeconfig,
        METRICS_ADDR: `127.0.0.1:${metricsPort}`,
        METRICS_SECURE: String(secure),
        PROBE_ADDR: `127.0.0.1:${probePort}`,
        LEADER_ELECTION_NAMESPACE: OPERATOR_NAMESPACE,
        LOG_LEVEL: "debug",
        ...opts.env,
      },
    });
    running.add(child);
    const op = new OperatorProcess(
      opts.name ?? "operator",
      child,
      { metrics: metricsPort, probes: probePort },
      token,
    );
    await op.waitReady();
    return op;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  logTail(lines = 30): string {
    return this.#lines.slice(-lines).join("\n");
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited before it was ready:\n${this.logTail()}`);
      try {
        if ((await fetch(`${this.probesUrl}/readyz`)).status === 200) return;
      } catch {
        // Not listening yet.
      }
      await sleep(100);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs / 1000}s:\n${this.logTail()}`);
  }

  metrics(): Promise<Sample[]> {
    return scrapeWithToken(this.metricsUrl, this.metricsToken);
  }

  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return sampleValue(await this.metrics(), name, labels) ?? 0;
  }

  /**
   * rest_client_requests_total summed over the mutating methods: every write the operator sent, less the
   * TokenReviews and SubjectAccessReviews it POSTed to decide who may read these very metrics (they change
   * nothing in the cluster, and reading the count costs one when the cached decision has expired).
   */
  async writes(): Promise<number> {
    const mutating = new Set(["POST", "PUT", "PATCH", "DELETE"]);
    const reviews = new Set([
      "apiserver_delegated_authn_request_total",
      "apiserver_delegated_authz_request_total",
    ]);
    const samples = await this.metrics();
    const sum = (keep: (s: Sample) => boolean) => samples.filter(keep).reduce((n, s) => n + s.value, 0);
    return (
      sum((s) => s.name === "rest_client_requests_total" && mutating.has(s.labels.method ?? "")) -
      sum((s) => reviews.has(s.name))
    );
  }

  /** SIGTERM: graceful shutdown (drain, release the Lease). Resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (!this.running) return (await this.exited).code;
    this.child.kill("SIGTERM");
    return (await this.exited).code;
  }

  /** SIGKILL, as a crash or an OOM kill would: nothing is drained or released. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }
}
