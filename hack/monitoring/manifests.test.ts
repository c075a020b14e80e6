import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { pinnedModuleDir } from "../../test/cluster/binaries.ts";

// The monitoring stack's manifests name the images hack/monitoring/build-images.sh builds, at the versions
// its go.mod files pin: a bump in one place and not the other would send the kind node to a registry.

// biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
type Obj = Record<string, any>;
const here = import.meta.dirname;
const dir = join(here, "manifests");
const objs: Obj[] = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => d.toJSON() as Obj));
const script = (arg: string) =>
  execFileSync("bash", [join(here, "build-images.sh"), arg], { encoding: "utf8" })
    .trim()
    .split("\n");
const refs = script("--list");
const versions = Object.fromEntries(script("--versions").map((l) => l.split("=") as [string, string]));
const one = (kind: string, name: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind} ${name}`).toHaveLength(1);
  return found[0] as Obj;
};
const deployments = objs.filter((o) => o.kind === "Deployment");
const release = { release: "kube-prometheus-stack" };

describe("hack/monitoring/manifests", () => {
  it("run only the stand-in images, never pulling them", () => {
    const images = deployments.flatMap((d) => d.spec.template.spec.containers.map((c: Obj) => c.image));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(refs).toContain(image);
    for (const d of deployments) {
      for (const c of d.spec.template.spec.containers) expect(c.imagePullPolicy, c.name).toBe("IfNotPresent");
    }
    const operator = one("Deployment", "prometheus-operator").spec.template.spec.containers[0];
    const reloader = refs.find((r) => r.includes("/prometheus-config-reloader:"));
    expect(operator.args).toContain(`--prometheus-config-reloader=${reloader}`);
  });

  it("point the Prometheus k8s at the stand-in Prometheus, with the version the operator is told", () => {
    const prometheus = one("Prometheus", "k8s");
    expect(prometheus.metadata.namespace).toBe("monitoring");
    expect(prometheus.spec.version).toBe(versions.prometheus);
    expect(prometheus.spec.image).toBe(`quay.io/prometheus/prometheus:${versions.prometheus}`);
    expect(refs).toContain(prometheus.spec.image);
    expect(prometheus.spec.imagePullPolicy).toBe("IfNotPresent");
  });

  it("select what kube-prometheus-stack's chart selects: release: kube-prometheus-stack in every namespace", () => {
    const spec = one("Prometheus", "k8s").spec;
    for (const kind of ["serviceMonitor", "podMonitor", "probe", "scrapeConfig", "rule"]) {
      expect(spec[`${kind}Selector`], kind).toEqual({ matchLabels: release });
      expect(spec[`${kind}NamespaceSelector`], kind).toEqual({});
    }
    expect(one("ServiceMonitor", "kube-state-metrics").metadata.labels).toMatchObject(release);
  });

  it("meet the restricted Pod Security level, which the monitoring namespace enforces", () => {
    expect(one("Namespace", "monitoring").metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
    });
    const pods = [
      ...deployments.map((d) => [d.metadata.name, d.spec.template.spec] as const),
      ["prometheus", one("Prometheus", "k8s").spec] as const,
    ];
    for (const [name, pod] of pods) {
      expect(pod.securityContext, name).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(pod.securityContext.runAsUser, name).toBeGreaterThan(0);
      for (const c of pod.containers ?? []) {
        expect(c.securityContext, `${name}/${c.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
        });
      }
    }
  });

  it("bind each ServiceAccount to the upstream ClusterRole install.sh applies", () => {
    const install = readFileSync(join(here, "install.sh"), "utf8");
    const upstream: Record<string, string> = {
      "prometheus-operator": "prometheus-operator-cluster-role.yaml",
      prometheus: "example/rbac/prometheus/prometheus-cluster-role.yaml",
      "kube-state-metrics": "examples/standard/cluster-role.yaml",
    };
    for (const binding of objs.filter((o) => o.kind === "ClusterRoleBinding")) {
      const role = binding.roleRef.name as string;
      expect(upstream[role], role).toBeDefined();
      expect(install).toContain(upstream[role]);
      const [subject] = binding.subjects;
      expect(one("ServiceAccount", subject.name).metadata.namespace).toBe(subject.namespace);
    }
  });

  it("let Prometheus k8s read the operator's metrics: its upstream ClusterRole may get /metrics", async () => {
    // The operator authorizes each scrape with a SubjectAccessReview for exactly this (config/rbac).
    const po = await pinnedModuleDir("crds", "github.com/prometheus-operator/prometheus-operator");
    const role = parse(
      readFileSync(join(po, "example/rbac/prometheus/prometheus-cluster-role.yaml"), "utf8"),
    );
    expect(role.metadata.name).toBe(one("ClusterRoleBinding", "prometheus-k8s").roleRef.name);
    expect(role.rules).toContainEqual({ nonResourceURLs: ["/metrics"], verbs: ["get"] });
  });
});
