/**
 * `node bench/operator/unrelated-objects.ts [--n 5000] [--greeters 10] [--root <dir>]...`: the operator's memory
 * in a cluster full of objects that are not its own. On a fresh local control plane it creates N Deployments
 * (0 replicas) and N headless Services, none of them a Greeter's, in 10 namespaces, plus a few Greeters; then,
 * for each `--root` (a checkout of the operator; default this one), starts its operator under the manifest's
 * memory limit, as bench/operator/run.ts does, and reports the time to /readyz and its RSS and heap once ready
 * and after a quiet minute (when MemoryTrim has had its chance). The same cluster serves every root, so
 * `--root /tmp/before --root .` compares two versions on the same objects.
 */
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { ControlPlane } from "../../test/cluster/control-plane.ts";
import { BenchApi, pool } from "./api.ts";
import { benchClusterArgs } from "./cluster-tuning.ts";
import { manifestMemoryLimit, memoryCgroup } from "./memory-limit.ts";
import { OperatorProcess } from "./operator-process.ts";
import { single } from "./prom-text.ts";
import { createGreeters, createNamespaces, greeterKeys, namespaces } from "./workload.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "5000" },
    greeters: { type: "string", default: "10" },
    root: { type: "string", multiple: true },
    quiet: { type: "string", default: "75" },
  },
});
const n = Number(args.n);
const roots = (args.root?.length ? args.root : [ROOT]).map((r) => resolve(r));
const MiB = 2 ** 20;
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

const cp = await ControlPlane.start({
  crds: [join(ROOT, "crds")],
  extraArgs: benchClusterArgs,
  log: (m) => log(`cluster: ${m}`),
});
try {
  const api = new BenchApi({
    server: cp.server,
    caFile: cp.state.layout.pki.caCert,
    certFile: cp.state.admin.certFile,
    keyFile: cp.state.admin.keyFile,
  });
  const spaces = namespaces("unrelated");
  await createNamespaces(api, spaces);
  log(`creating ${n} Deployments and ${n} Services that are not a Greeter's`);
  const labels = { team: "someone-else", "app.kubernetes.io/part-of": "another-system" };
  await pool(
    Array.from({ length: n }, (_, i) => i),
    16,
    async (i) => {
      const namespace = spaces[i % spaces.length] as string;
      const name = `other-${i}`;
      await api.apply(
        `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name, namespace, labels },
          spec: {
            replicas: 0,
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name, ...labels } },
              spec: { containers: [{ name: "app", image: "example.invalid/app:1" }] },
            },
          },
        },
        "someone-else",
      );
      await api.apply(
        `/api/v1/namespaces/${namespace}/services/${name}`,
        {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name, namespace, labels },
          spec: { clusterIP: "None", selector: { app: name }, ports: [{ port: 80 }] },
        },
        "someone-else",
      );
    },
  );
  const keys = greeterKeys("unrelated", Number(args.greeters));
  await createGreeters(api, keys, "Hello, {name}!");
  const kubeconfig = await cp.kubeconfigFor("bench-operator", {
    user: "bench-operator",
    groups: ["system:masters"],
  });
  const limit = manifestMemoryLimit(ROOT);
  const rows: string[] = [];
  for (const [i, root] of roots.entries()) {
    const cgroup = memoryCgroup(`greeter-operator-unrelated-${process.pid}-${i}`, limit);
    if (!cgroup) log("no writable memory cgroup: running without the memory limit");
    const op = await OperatorProcess.start({
      root,
      kubeconfig,
      logFile: join(ROOT, ".tmp", `unrelated-objects-${i}.log`),
      nodeArgs: ["--expose-gc"],
      ...(cgroup ? { cgroupProcs: cgroup.procsFile } : {}),
    });
    try {
      const readyAt = await op.ready(300_000);
      const atReady = op.rssBytes();
      await sleep(Number(args.quiet) * 1000);
      const samples = await op.metrics();
      const heap = single(samples, "nodejs_heap_size_used_bytes") ?? 0;
      rows.push(
        `| ${root} | ${((readyAt - op.startedAt) / 1000).toFixed(1)} s | ${Math.round(atReady / MiB)} MiB | ` +
          `${Math.round(op.rssBytes() / MiB)} MiB | ${Math.round(heap / MiB)} MiB |`,
      );
    } finally {
      await op.stop();
      cgroup?.remove();
    }
  }
  console.log(
    `${n} unrelated Deployments and ${n} unrelated Services, ${keys.length} Greeters, limit ${limit / MiB} MiB`,
  );
  console.log("| operator | to /readyz | RSS at ready | RSS after a quiet minute | heap used then |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const r of rows) console.log(r);
  await api.close();
} finally {
  await cp.stop();
}
