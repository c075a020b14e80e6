import { existsSync, readFileSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments } from "yaml";
import { freePort } from "../support/free-port.ts";
import { ApiClient } from "./api.ts";
import { type Binaries, ensureBinaries } from "./binaries.ts";
import { type ComponentName, commandLine, componentNames, type Layout, type Ports } from "./components.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { type ClientCert, type ClientIdentity, createClientCert, createPki, type Pki } from "./pki.ts";
import {
  type ComponentProcess,
  isRunning,
  isRunningSync,
  killProcess,
  logTail,
  startProcess,
  stopProcess,
} from "./processes.ts";
import { kwokStagesConfig, prometheusOperatorCrdFile } from "./upstream.ts";

/** Everything needed to drive a running control plane from any process: it lives in `<dir>/state.json`. */
export interface ControlPlaneState {
  dir: string;
  server: string;
  /** system:masters kubeconfig for kubectl, tests and the operator. */
  kubeconfig: string;
  etcdUrl: string;
  auditLog: string;
  binaries: Binaries;
  layout: Layout;
  admin: ClientCert;
  nodes: string[];
  processes: Partial<Record<ComponentName, ComponentProcess>>;
}

export interface StartOptions {
  /** Parent of the cluster's temporary directory (default: the OS temp dir). */
  parentDir?: string;
  /** Fake kwok Nodes to create (default 2). */
  nodes?: number;
  /** Install the CRDs from these directories or files (default: none; see installCrds). */
  crds?: string[];
  /** Install the upstream ServiceMonitor and PrometheusRule CRDs (default true). */
  prometheusOperatorCrds?: boolean;
  /** Flags appended to components' command lines (see Layout.extraArgs). */
  extraArgs?: Partial<Record<ComponentName, string[]>>;
  /** Called as soon as the directory exists, before any process starts (to arrange cleanup on exit). */
  onCreated?: (dir: string) => void;
  /** Progress messages (default: to stderr). */
  log?: (msg: string) => void;
}

/** A mutating request as the audit log records it (metadata only). */
export interface AuditEvent {
  verb: string;
  user: { username: string; groups?: string[] };
  userAgent?: string;
  objectRef?: {
    resource?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
  };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
}

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  # Writes only, metadata only: enough for tests to count who changed what.
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
  - level: None
`;

const crdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

/** GET over HTTPS trusting the component's self-signed loopback certificate (health probes only). */
function probeSelfSigned(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpsGet(url, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

export class ControlPlane {
  state: ControlPlaneState;
  readonly #log: (msg: string) => void;
  #api: ApiClient | undefined;

  private constructor(state: ControlPlaneState, log: (msg: string) => void) {
    this.state = state;
    this.#log = log;
  }

  get dir(): string {
    return this.state.dir;
  }
  get kubeconfig(): string {
    return this.state.kubeconfig;
  }
  get server(): string {
    return this.state.server;
  }

  /** Re-opens a control plane started by another process (e.g. vitest's globalSetup) from its directory. */
  static async attach(dir: string, log: (msg: string) => void = () => {}): Promise<ControlPlane> {
    const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as ControlPlaneState;
    return new ControlPlane(state, log);
  }

  /**
   * Last-resort cleanup for an exiting process (no awaiting possible): SIGKILLs the recorded processes that
   * are still the ones started, and removes the directory.
   */
  static killSync(dir: string): void {
    try {
      const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as ControlPlaneState;
      for (const p of Object.values(state.processes)) {
        if (p && isRunningSync(p)) process.kill(p.pid, "SIGKILL");
      }
    } catch {
      // Nothing recorded, nothing to kill.
    }
    rmSync(dir, { recursive: true, force: true });
  }

  static async start(opts: StartOptions = {}): Promise<ControlPlane> {
    const log = opts.log ?? ((m: string) => process.stderr.write(`[cluster] ${m}\n`));
    const t0 = Date.now();
    const binaries = await ensureBinaries();
    const dir = await mkdtemp(join(opts.parentDir ?? tmpdir(), "greeter-cp-"));
    opts.onCreated?.(dir);
    const cp = new ControlPlane(await ControlPlane.#prepare(dir, binaries, opts.extraArgs), log);
    try {
      await cp.#save();
      await cp.startComponent("etcd");
      await cp.startComponent("kube-apiserver");
      // CRDs before the controller manager: its garbage collector then watches them from the start instead
      // of after its next discovery resync (30 s), so a test's first cascading delete is not slow.
      if (opts.prometheusOperatorCrds ?? true) {
        await cp.installServiceMonitorCrd();
        await cp.installPrometheusRuleCrd();
      }
      for (const source of opts.crds ?? []) {
        if (!existsSync(source)) log(`no ${source}: no CRDs installed from it`);
        else log(`installed CRDs from ${source}: ${(await cp.installCrds(source)).join(", ")}`);
      }
      for (const name of componentNames.slice(2)) await cp.startComponent(name);
      await cp.#createNodes(opts.nodes ?? 2);
      log(`control plane up in ${((Date.now() - t0) / 1000).toFixed(1)}s: KUBECONFIG=${cp.kubeconfig}`);
      return cp;
    } catch (err) {
      await cp.stop({ keepDir: true }).catch(() => {});
      throw new Error(`${(err as Error).message}\n(cluster files kept in ${dir})`, { cause: err });
    }
  }

  static async #prepare(
    dir: string,
    binaries: Binaries,
    extraArgs: Layout["extraArgs"],
  ): Promise<ControlPlaneState> {
    const pki: Pki = await createPki(join(dir, "pki"));
    const ports: Ports = {
      etcdClient: await freePort(),
      etcdPeer: await freePort(),
      apiserver: await freePort(),
      controllerManager: await freePort(),
      scheduler: await freePort(),
      kwok: await freePort(),
    };
    const server = `https://127.0.0.1:${ports.apiserver}`;
    const kubeconfigFor = async (name: string, identity: ClientIdentity) => {
      const cert = await createClientCert(pki, name, identity);
      const path = join(dir, `${name}.kubeconfig`);
      await writeKubeconfig(path, { server, caFile: pki.caCert, ...cert, user: identity.user });
      return { path, cert };
    };
    // Each component has its own identity, so the audit log tells their writes apart. The bootstrap RBAC
    // policy gives the controller manager and scheduler users exactly the rights they need.
    const admin = await kubeconfigFor("admin", { user: "admin", groups: ["system:masters"] });
    const kcm = await kubeconfigFor("kube-controller-manager", {
      user: "system:kube-controller-manager",
      groups: [],
    });
    const sched = await kubeconfigFor("kube-scheduler", { user: "system:kube-scheduler", groups: [] });
    const kwok = await kubeconfigFor("kwok", { user: "kwok", groups: ["system:masters"] });
    const layout: Layout = {
      dir,
      pki,
      ports,
      kubeconfigs: { controllerManager: kcm.path, scheduler: sched.path, kwok: kwok.path },
      auditPolicy: join(dir, "audit-policy.yaml"),
      auditLog: join(dir, "audit.log"),
      kwokConfig: join(dir, "kwok-stages.yaml"),
      ...(extraArgs ? { extraArgs } : {}),
    };
    await writeFile(layout.auditPolicy, auditPolicy);
    await writeFile(layout.kwokConfig, await kwokStagesConfig());
    await mkdir(join(dir, "logs"), { recursive: true });
    return {
      dir,
      server,
      kubeconfig: admin.path,
      etcdUrl: `http://127.0.0.1:${ports.etcdClient}`,
      auditLog: layout.auditLog,
      binaries,
      layout,
      admin: admin.cert,
      nodes: [],
      processes: {},
    };
  }

  async #save(): Promise<void> {
    await writeFile(join(this.dir, "state.json"), JSON.stringify(this.state, null, 2));
  }

  /** The admin client for housekeeping requests. */
  get api(): ApiClient {
    this.#api ??= new ApiClient({
      server: this.server,
      caFile: this.state.layout.pki.caCert,
      certFile: this.state.admin.certFile,
      keyFile: this.state.admin.keyFile,
    });
    return this.#api;
  }

  logFile(name: ComponentName): string {
    return join(this.dir, "logs", `${name}.log`);
  }

  async startComponent(name: ComponentName, timeoutMs = 60_000): Promise<void> {
    const { binary, args } = commandLine(name, this.state.binaries, this.state.layout);
    const t0 = Date.now();
    const proc = startProcess(name, binary, args, this.logFile(name));
    this.state.processes[name] = proc;
    await this.#save();
    const deadline = t0 + timeoutMs;
    while (!(await this.#healthy(name))) {
      if (!(await isRunning(proc))) {
        throw new Error(`${name} exited during startup; last log lines:\n${await logTail(proc.logFile)}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${name} not ready after ${timeoutMs / 1000}s; last log lines:\n${await logTail(proc.logFile)}`,
        );
      }
      await sleep(100);
    }
    this.#log(`${name} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }

  async #healthy(name: ComponentName): Promise<boolean> {
    const { ports } = this.state.layout;
    switch (name) {
      case "etcd":
        try {
          const res = await fetch(`${this.state.etcdUrl}/health`, { signal: AbortSignal.timeout(2000) });
          return res.ok && ((await res.json()) as { health?: string }).health === "true";
        } catch {
          return false;
        }
      case "kube-apiserver":
        try {
          return (await this.api.request("GET", "/readyz")).status === 200;
        } catch {
          return false;
        }
      case "kube-controller-manager":
        return (await probeSelfSigned(`https://127.0.0.1:${ports.controllerManager}/healthz`)) === 200;
      case "kube-scheduler":
        return (await probeSelfSigned(`https://127.0.0.1:${ports.scheduler}/healthz`)) === 200;
      case "kwok":
        try {
          return (
            await fetch(`http://127.0.0.1:${ports.kwok}/healthz`, { signal: AbortSignal.timeout(2000) })
          ).ok;
        } catch {
          return false;
        }
    }
  }

  /** Stops one component gracefully (or kills it, as a crash would, with `kill: true`). */
  async stopComponent(name: ComponentName, opts: { kill?: boolean } = {}): Promise<void> {
    const proc = this.state.processes[name];
    if (!proc) return;
    // kube-apiserver stops serving at once on SIGTERM but then lingers in its shutdown for many seconds;
    // nothing of value is lost by cutting that short in a test cluster.
    await (opts.kill ? killProcess(proc) : stopProcess(proc, name === "kube-apiserver" ? 3000 : 10_000));
    delete this.state.processes[name];
    await this.#save();
  }

  async restartComponent(name: ComponentName): Promise<void> {
    await this.stopComponent(name);
    await this.startComponent(name);
  }

  /** Restarts kube-apiserver: every open watch is cut and the watch cache starts afresh. */
  restartApiServer(): Promise<void> {
    return this.restartComponent("kube-apiserver");
  }

  /**
   * Compacts etcd up to its current revision, so a watch or list from any older resourceVersion that the
   * API server's watch cache no longer holds gets 410 Gone. Returns the compacted revision.
   */
  async compactEtcd(): Promise<number> {
    const post = async <T>(path: string, body: unknown): Promise<T> => {
      const res = await fetch(`${this.state.etcdUrl}${path}`, {
        method: "POST",
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const range = await post<{ header: { revision: string } }>("/v3/kv/range", {
      key: Buffer.from("/").toString("base64"),
      limit: 1,
    });
    const revision = Number(range.header.revision);
    await post("/v3/kv/compaction", { revision: String(revision), physical: true });
    return revision;
  }

  /** Stops exactly the processes this control plane started, then removes its directory. */
  async stop(opts: { keepDir?: boolean } = {}): Promise<void> {
    this.#api?.close();
    this.#api = undefined;
    for (const name of [...componentNames].reverse()) await this.stopComponent(name);
    if (!opts.keepDir) await rm(this.dir, { recursive: true, force: true });
  }

  async #createNodes(count: number): Promise<void> {
    const names = Array.from({ length: count }, (_, i) => `kwok-node-${i}`);
    for (const name of names) {
      await this.api.apply(`/api/v1/nodes/${name}`, {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name,
          annotations: { "kwok.x-k8s.io/node": "fake" },
          labels: { type: "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" },
        },
      });
    }
    this.state.nodes = names;
    await this.#save();
    await this.#waitFor("kwok to mark the Nodes Ready", 30_000, async () => {
      for (const name of names) {
        const node = await this.api.json<{ status?: { conditions?: { type: string; status: string }[] } }>(
          "GET",
          `/api/v1/nodes/${name}`,
        );
        if (!node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) return false;
      }
      return true;
    });
  }

  async #waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        if (await check()) return;
      } catch (err) {
        last = err;
      }
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
  }

  /**
   * Installs every CustomResourceDefinition found in a YAML file or a directory of YAML files (server-side
   * apply, so it is idempotent) and waits until each is Established. Other kinds are ignored.
   */
  async installCrds(source: string): Promise<string[]> {
    let files = [source];
    try {
      files = (await readdir(source)).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(source, f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOTDIR") throw err;
    }
    const names: string[] = [];
    for (const file of files.sort()) {
      for (const doc of parseAllDocuments(await readFile(file, "utf8"))) {
        const obj = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
        if (obj?.kind !== "CustomResourceDefinition" || !obj.metadata?.name) continue;
        await this.api.apply(`${crdPath}/${obj.metadata.name}`, obj);
        names.push(obj.metadata.name);
      }
    }
    for (const name of names) await this.#waitEstablished(name);
    return names;
  }

  async #waitEstablished(name: string): Promise<void> {
    await this.#waitFor(`CRD ${name} to be Established`, 30_000, async () => {
      const crd = await this.api.json<{ status?: { conditions?: { type: string; status: string }[] } }>(
        "GET",
        `${crdPath}/${name}`,
      );
      return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
    });
  }

  /** Deletes a CRD (and with it every object of its kind) and waits until it is gone. */
  async uninstallCrd(name: string): Promise<void> {
    const res = await this.api.request("DELETE", `${crdPath}/${name}`);
    if (res.status !== 200 && res.status !== 202 && res.status !== 404) {
      throw new Error(`DELETE CRD ${name}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    }
    await this.#waitFor(`CRD ${name} to be deleted`, 60_000, async () => {
      return (await this.api.request("GET", `${crdPath}/${name}`)).status === 404;
    });
  }

  async installServiceMonitorCrd(): Promise<void> {
    await this.installCrds(await prometheusOperatorCrdFile("servicemonitors"));
  }
  uninstallServiceMonitorCrd(): Promise<void> {
    return this.uninstallCrd("servicemonitors.monitoring.coreos.com");
  }
  async installPrometheusRuleCrd(): Promise<void> {
    await this.installCrds(await prometheusOperatorCrdFile("prometheusrules"));
  }
  uninstallPrometheusRuleCrd(): Promise<void> {
    return this.uninstallCrd("prometheusrules.monitoring.coreos.com");
  }

  /** The API server's audit log so far: every mutating request, oldest first. */
  async auditEvents(): Promise<AuditEvent[]> {
    let text = "";
    try {
      text = await readFile(this.state.auditLog, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    return text
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as AuditEvent);
  }

  /**
   * A kubeconfig for another identity (e.g. the operator without system:masters, restricted by RBAC), signed
   * by the cluster CA. Returns its path.
   */
  async kubeconfigFor(name: string, identity: ClientIdentity): Promise<string> {
    const cert = await createClientCert(this.state.layout.pki, name, identity);
    const path = join(this.dir, `${name}.kubeconfig`);
    await writeKubeconfig(path, {
      server: this.server,
      caFile: this.state.layout.pki.caCert,
      ...cert,
      user: identity.user,
    });
    return path;
  }
}
