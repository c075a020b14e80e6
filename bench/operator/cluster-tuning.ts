/**
 * Two settings of the test control plane that would make the cluster, not the operator, the limit at bench scale.
 *
 * Rate limits. The controller manager and the scheduler ship with client-side rate limits (20 and 50 requests/s) meant to
 * protect a shared production API server. Behind every Greeter they make ~6 writes (ReplicaSet, Pod, binding,
 * status updates), so at those limits they, not the operator, would set the convergence time (measured: 100
 * Greeters took 31 s, all of it waiting for Pods). kwokctl lifts the same limits for its clusters; the bench
 * restarts both with them lifted, so what it times is the operator and the API server.
 */
import { writeFile } from "node:fs/promises";
import { get } from "node:https";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { commandLine } from "../../test/cluster/components.ts";
import type { ControlPlane } from "../../test/cluster/control-plane.ts";
import { startProcess, stopProcess } from "../../test/cluster/processes.ts";
import type { BenchApi } from "./api.ts";

const UNLIMITED = ["--kube-api-qps=5000", "--kube-api-burst=10000"];

function healthz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(
      `https://127.0.0.1:${port}/healthz`,
      { rejectUnauthorized: false, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

export async function unthrottle(cp: ControlPlane): Promise<void> {
  const { layout, binaries } = cp.state;
  const ports = {
    "kube-controller-manager": layout.ports.controllerManager,
    "kube-scheduler": layout.ports.scheduler,
  } as const;
  for (const name of ["kube-controller-manager", "kube-scheduler"] as const) {
    const old = cp.state.processes[name];
    if (old) await stopProcess(old);
    const { binary, args: base } = commandLine(name, binaries, layout);
    // The controller that marks extra ServiceCIDRs Ready (see widenServiceRange).
    const args = base.map((a) => (a.startsWith("--controllers=") ? `${a},service-cidr-controller` : a));
    // Recorded in the control plane's state, so its stop() stops this process too.
    cp.state.processes[name] = startProcess(name, binary, [...args, ...UNLIMITED], cp.logFile(name));
    for (let i = 0; !(await healthz(ports[name])); i++) {
      if (i > 600) throw new Error(`${name} not healthy after restart`);
      await sleep(100);
    }
  }
  // So `node test/cluster/cli.ts down` or ControlPlane.killSync find the restarted processes too.
  await writeFile(join(cp.dir, "state.json"), JSON.stringify(cp.state, null, 2));
}

/**
 * Service IPs. The test control plane's service range is a /24 (about 250 ClusterIPs): the 251st Greeter's
 * Service fails with "range is full". A second ServiceCIDR (networking.k8s.io/v1) adds 65k addresses without a
 * restart.
 */
export async function widenServiceRange(api: BenchApi): Promise<void> {
  await api.apply(
    "/apis/networking.k8s.io/v1/servicecidrs/bench",
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "ServiceCIDR",
      metadata: { name: "bench" },
      spec: { cidrs: ["10.96.0.0/16"] },
    },
    "greeter-bench",
  );
  for (let i = 0; ; i++) {
    const cidr = await api.json<{ status?: { conditions?: { type: string; status: string }[] } }>(
      "GET",
      "/apis/networking.k8s.io/v1/servicecidrs/bench",
    );
    if (cidr.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) return;
    if (i > 300) throw new Error("ServiceCIDR bench not Ready");
    await sleep(100);
  }
}
