// The Helm chart on a real node: `helm install` brings an operator up that reconciles a Greeter in the one
// namespace it watches; `helm upgrade` with a second watched namespace gives it a Role there and it reconciles
// that namespace's Greeter too; `helm uninstall` removes every object of the release and leaves the CRD and
// the Greeters. The release (`helm-e2e`, in a namespace of its own) runs beside the kustomize-installed
// operator, which is scaled to 0 meanwhile so that only the release's operator reconciles.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART_DIR } from "../../hack/chart/chart.ts";
import { helm, helmBinary } from "../../hack/chart/helm-cli.ts";
import {
  createTestNamespace,
  eventually,
  kubectl,
  type TestNamespace,
  testKubeconfig,
} from "../cluster/testing.ts";
import { apply, get, greeterManifest, list, must, waitForReady } from "../support/greeters.ts";

const RELEASE = "helm-e2e";
const FULLNAME = `${RELEASE}-greeter-operator`;
const KUSTOMIZE_NAMESPACE = "greeter-operator-system";
const KUSTOMIZE_DEPLOYMENT = "deployment/greeter-operator";
const READY_MS = 180_000;

async function restrictedNamespace(prefix: string): Promise<TestNamespace> {
  const ns = await createTestNamespace(prefix);
  await must(["label", "namespace", ns.name, "pod-security.kubernetes.io/enforce=restricted"]);
  return ns;
}

async function helmOk(...args: string[]): Promise<string> {
  const res = await helm([...args, "--kubeconfig", testKubeconfig()]);
  if (res.code !== 0) throw new Error(`helm ${args.join(" ")} failed: ${res.stderr}`);
  return res.stdout;
}

/** Whether the release's operator may list Greeters in `namespace` (its RBAC, as the API server decides). */
async function operatorMayListGreeters(releaseNamespace: string, namespace: string): Promise<boolean> {
  const as = `system:serviceaccount:${releaseNamespace}:${FULLNAME}`;
  const res = await kubectl([
    "auth",
    "can-i",
    "list",
    "greeters.greeter.operator.dev",
    "--as",
    as,
    "-n",
    namespace,
  ]);
  return res.stdout.trim() === "yes";
}

const installOrUpgrade = (verb: "install" | "upgrade", releaseNamespace: string, watched: string[]) =>
  helmOk(
    verb,
    RELEASE,
    CHART_DIR,
    "--namespace",
    releaseNamespace,
    "--set",
    "replicaCount=1",
    "--set-json",
    `watchNamespaces=${JSON.stringify(watched)}`,
    "--wait",
    "--timeout",
    "5m",
  );

describe("the Helm chart, installed, upgraded and uninstalled", () => {
  let release: TestNamespace;
  let first: TestNamespace;
  let second: TestNamespace;
  let kustomizeReplicas = 2;

  beforeAll(async () => {
    helmBinary();
    kustomizeReplicas = Number(
      await must(["get", KUSTOMIZE_DEPLOYMENT, "-o", "jsonpath={.spec.replicas}"], KUSTOMIZE_NAMESPACE),
    );
    await must(["scale", KUSTOMIZE_DEPLOYMENT, "--replicas=0"], KUSTOMIZE_NAMESPACE);
    await eventually(
      "the kustomize-installed operator's pods to be gone",
      async () =>
        (await list(KUSTOMIZE_NAMESPACE, "pods", "app.kubernetes.io/name=greeter-operator")).length === 0,
      120_000,
    );
    release = await restrictedNamespace("helm-release");
    first = await restrictedNamespace("helm-first");
    second = await restrictedNamespace("helm-second");
  }, 900_000);

  afterAll(async () => {
    if (release) await helm(["uninstall", RELEASE, "-n", release.name, "--kubeconfig", testKubeconfig()]);
    await Promise.all([release?.delete(), first?.delete(), second?.delete()]);
    await must(["scale", KUSTOMIZE_DEPLOYMENT, `--replicas=${kustomizeReplicas}`], KUSTOMIZE_NAMESPACE);
    await must(["rollout", "status", KUSTOMIZE_DEPLOYMENT, "--timeout=180s"], KUSTOMIZE_NAMESPACE);
  });

  it("helm install: the operator comes up and reconciles a Greeter in the namespace it watches", async () => {
    await installOrUpgrade("install", release.name, [first.name]);
    const deployment = await get(release.name, "deployment", FULLNAME);
    expect(deployment?.status?.readyReplicas).toBe(1);
    await apply(first.name, greeterManifest("hello", { replicas: 1, greeting: "Hello from Helm, {name}" }));
    const greeter = await waitForReady(first.name, "hello", READY_MS);
    expect(greeter.status?.readyReplicas).toBe(1);
    // Only its watched namespace: no cluster-wide access to Greeters.
    expect(await operatorMayListGreeters(release.name, first.name)).toBe(true);
    expect(await operatorMayListGreeters(release.name, second.name)).toBe(false);
  });

  it("helm upgrade adding a watched namespace: the operator gets a Role there and reconciles its Greeter", async () => {
    await apply(second.name, greeterManifest("later", { replicas: 1 }));
    await installOrUpgrade("upgrade", release.name, [first.name, second.name]);
    await must(["rollout", "status", `deployment/${FULLNAME}`, "--timeout=180s"], release.name);
    expect(await operatorMayListGreeters(release.name, second.name)).toBe(true);
    await waitForReady(second.name, "later", READY_MS);
    const history = JSON.parse(await helmOk("history", RELEASE, "-n", release.name, "-o", "json")) as {
      revision: number;
      status: string;
    }[];
    expect(history.map((h) => [h.revision, h.status])).toEqual([
      [1, "superseded"],
      [2, "deployed"],
    ]);
  });

  it("helm uninstall removes every object of the release, and leaves the CRD and the Greeters", async () => {
    await helmOk("uninstall", RELEASE, "--namespace", release.name, "--wait", "--timeout", "5m");
    const selector = `app.kubernetes.io/instance=${RELEASE}`;
    const namespaced =
      "deployments,services,serviceaccounts,roles,rolebindings,poddisruptionbudgets,configmaps,servicemonitors,prometheusrules,networkpolicies";
    const left = async () => [
      ...(await list(release.name, namespaced, selector)),
      ...(await list(first.name, "roles,rolebindings", selector)),
      ...(await list(second.name, "roles,rolebindings", selector)),
      ...(await list("", "clusterroles,clusterrolebindings", selector)),
      ...(await list(release.name, "pods", "app.kubernetes.io/name=greeter-operator")),
    ];
    await eventually("no object of the release to be left", async () => (await left()).length === 0, 120_000);

    expect(await get("", "customresourcedefinition", "greeters.greeter.operator.dev")).toBeDefined();
    expect(await get(first.name, "greeter", "hello")).toBeDefined();
    expect(await get(second.name, "greeter", "later")).toBeDefined();
    // The kustomize install's cluster-scoped objects are its own, untouched by the release.
    expect(await get("", "clusterrole", "greeter-operator-manager")).toBeDefined();
  });
});
