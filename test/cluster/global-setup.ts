// vitest globalSetup for the integration project: one control plane for the whole run, or the cluster in
// KUBECONFIG when USE_EXISTING_CLUSTER=true. Tests read it with `inject` (see testing.ts).
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { ControlPlane } from "./control-plane.ts";
import { repoRoot } from "./paths.ts";

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfig: string;
    /** The local control plane's directory; empty against an existing cluster. */
    controlPlaneDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.USE_EXISTING_CLUSTER === "true") {
    const kubeconfig = process.env.KUBECONFIG;
    if (!kubeconfig) throw new Error("USE_EXISTING_CLUSTER=true needs KUBECONFIG to point at the cluster");
    project.provide("kubeconfig", kubeconfig);
    project.provide("controlPlaneDir", "");
    return async () => {};
  }
  // The components are detached processes: if vitest dies without running teardown, this still ends them.
  // Test workers may restart components, so the pids to kill are read back from disk at exit.
  let dir = "";
  const killAtExit = () => dir && ControlPlane.killSync(dir);
  process.once("exit", killAtExit);
  const cp = await ControlPlane.start({
    crds: [join(repoRoot, "crds")],
    onCreated: (d) => {
      dir = d;
    },
  });
  project.provide("kubeconfig", cp.kubeconfig);
  project.provide("controlPlaneDir", cp.dir);
  return async () => {
    process.off("exit", killAtExit);
    const keep = process.env.KEEP_CLUSTER === "true";
    const latest = await ControlPlane.attach(cp.dir);
    if (keep) {
      console.error(`KEEP_CLUSTER=true: control plane left running; KUBECONFIG=${latest.kubeconfig}`);
      return;
    }
    await latest.stop();
  };
}
