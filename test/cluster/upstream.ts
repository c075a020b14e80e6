import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pinnedModuleDir } from "./binaries.ts";
import { kwokFailureStages } from "./kwok-failure-stages.ts";

// Upstream YAML is read from the pinned Go modules at run time (verified by the committed go.sum files), so
// no copy of it lives in this repository.

const prometheusOperator = "github.com/prometheus-operator/prometheus-operator";

/** prometheus-operator's own CRD files, at the version pinned in hack/control-plane/crds/go.mod. */
export async function prometheusOperatorCrdFile(
  name: "servicemonitors" | "prometheusrules",
): Promise<string> {
  const dir = await pinnedModuleDir("crds", prometheusOperator);
  return join(dir, "example", "prometheus-operator-crd", `monitoring.coreos.com_${name}.yaml`);
}

// Since v0.8.0 kwok has no built-in behaviour: these stages make Nodes Ready and Pods Running/Ready, and let
// deleted Pods go away (no kubelet confirms the deletion). No heartbeat stage: nothing here marks Nodes
// NotReady (no node-lifecycle controller), and heartbeats would add writes to the audit log.
const kwokStages = [
  "node/fast/node-initialize.yaml",
  "pod/fast/pod-ready.yaml",
  "pod/fast/pod-complete.yaml",
  "pod/fast/pod-delete.yaml",
];

/** kwok's --config content: the stage documents joined with `---`. */
export async function kwokStagesConfig(): Promise<string> {
  const dir = await pinnedModuleDir("kwok", "sigs.k8s.io/kwok");
  const docs = await Promise.all(kwokStages.map((f) => readFile(join(dir, "kustomize", "stage", f), "utf8")));
  return [...docs, ...kwokFailureStages()].map((d) => d.trim()).join("\n---\n");
}
