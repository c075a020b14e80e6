import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { CRD_FILE } from "../operator/api/v1alpha1/greeter-crd.ts";
import { API_VERSION, GreeterSpecSchema, KIND } from "../operator/api/v1alpha1/index.ts";
import { loadConfig } from "../operator/config.ts";
import { reconcileGreeter } from "../operator/controller/reconcile.ts";
import { aGreeter, asServerReturns, CTX, nothingObserved } from "../operator/controller/testing/fixtures.ts";
import { shutdownBudgetMs } from "../operator/shutdown-budget.ts";

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked field by field below
type Obj = Record<string, any>;
const root = join(import.meta.dirname, "..");
const NAMESPACE = "greeter-operator-system";

function render(dir: string): Obj[] {
  const out = execFileSync("kubectl", ["kustomize", join(root, dir)], { encoding: "utf8" });
  return parseAllDocuments(out).map((d) => d.toJSON() as Obj);
}
const one = (objs: Obj[], kind: string, name?: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `${kind} ${name ?? ""}`).toHaveLength(1);
  return found[0] as Obj;
};
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe("config/default", () => {
  const objs = render("config/default");
  const deployment = one(objs, "Deployment", "greeter-operator");
  const pod = deployment.spec.template;
  const manager = pod.spec.containers.find((c: Obj) => c.name === "manager");

  it("installs the generated CRD unchanged", () => {
    const crd = one(objs, "CustomResourceDefinition");
    expect(crd).toEqual(parse(readFileSync(join(root, "crds", CRD_FILE), "utf8")));
  });

  it("puts every namespaced object in greeter-operator-system, and creates that namespace", () => {
    one(objs, "Namespace", NAMESPACE);
    const clusterScoped = new Set([
      "Namespace",
      "CustomResourceDefinition",
      "ClusterRole",
      "ClusterRoleBinding",
    ]);
    for (const o of objs.filter((o) => !clusterScoped.has(o.kind))) {
      expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(NAMESPACE);
    }
  });

  it("runs 2 operator replicas of greeter-operator:0.1.0 that deploy greeter:0.1.0", () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(manager.image).toBe("greeter-operator:0.1.0");
    expect(manager.env).toContainEqual({ name: "GREETER_IMAGE", value: "greeter:0.1.0" });
    expect(manager.env).toContainEqual({ name: "LEADER_ELECT", value: "true" });
  });

  it("admits ingress to the operator pods on exactly the ports their container declares, by name", () => {
    const policy = one(objs, "NetworkPolicy", "greeter-operator");
    expect(matches(policy.spec.podSelector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(policy.spec.policyTypes).toEqual(["Ingress"]);
    expect(policy.spec.ingress).toHaveLength(1);
    // No `from`: any source may reach these two ports, and no other port.
    expect(policy.spec.ingress[0].from).toBeUndefined();
    const admitted = policy.spec.ingress[0].ports.map((p: Obj) => `${p.protocol}/${p.port}`).sort();
    const declared = manager.ports.map((p: Obj) => `${p.protocol}/${p.name}`).sort();
    expect(admitted).toEqual(declared);
  });

  it("runs the operator hardened", () => {
    expect(pod.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(manager.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(manager.resources.limits.memory).toBeDefined();
  });

  it("probes /healthz and /readyz on the probe port, apart from the metrics port", () => {
    const ports = Object.fromEntries(manager.ports.map((p: Obj) => [p.name, p.containerPort]));
    expect(ports.probes).toBeDefined();
    expect(ports.https).toBeDefined();
    expect(ports.probes).not.toBe(ports.https);
    expect(manager.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "probes" });
    expect(manager.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "probes" });
  });

  it("gives a shutdown time to drain and release the Lease before the kubelet kills the operator", () => {
    const env = Object.fromEntries((manager.env ?? []).map((e: Obj) => [e.name, e.value]));
    const { shutdownTimeoutMs } = loadConfig({
      env: { ...env, POD_NAME: "p", POD_NAMESPACE: NAMESPACE },
      argv: [],
    });
    expect(pod.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      shutdownBudgetMs(shutdownTimeoutMs),
    );
  });

  it("keeps a leader through node drains", () => {
    const pdb = one(objs, "PodDisruptionBudget");
    expect(pdb.spec.minAvailable).toBe(1);
    expect(matches(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
  });

  it("serves metrics over HTTPS on 8443, scraped with Prometheus's own token through a Service and a ServiceMonitor", () => {
    expect(manager.ports).toContainEqual({ name: "https", containerPort: 8443, protocol: "TCP" });
    expect(manager.env).toContainEqual({ name: "METRICS_ADDR", value: ":8443" });
    // Also the operator's default; spelled out so the switch is in sight (and the Helm chart's metrics.secure).
    expect(manager.env).toContainEqual({ name: "METRICS_SECURE", value: "true" });
    const service = one(objs, "Service", "greeter-operator-metrics");
    expect(matches(service.spec.selector, pod.metadata.labels)).toBe(true);
    expect(service.spec.ports).toEqual([{ name: "https", port: 8443, targetPort: "https", protocol: "TCP" }]);
    const monitor = one(objs, "ServiceMonitor", "greeter-operator");
    expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    expect(monitor.spec.endpoints).toEqual([
      {
        port: "https",
        path: "/metrics",
        interval: "30s",
        scheme: "https",
        bearerTokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token",
        tlsConfig: { insecureSkipVerify: true },
      },
    ]);
  });

  it("lets the operator ask the API server who scrapes it, and ships the role a scraper needs", () => {
    const subject = { kind: "ServiceAccount", name: "greeter-operator", namespace: NAMESPACE };
    const auth = one(objs, "ClusterRoleBinding", "greeter-operator-metrics-auth");
    expect(auth.subjects).toEqual([subject]);
    expect(auth.roleRef.name).toBe("greeter-operator-metrics-auth");
    expect(one(objs, "ClusterRole", "greeter-operator-metrics-auth").rules).toEqual([
      { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
      { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
    ]);
    expect(one(objs, "ClusterRole", "greeter-operator-metrics-reader").rules).toEqual([
      { nonResourceURLs: ["/metrics"], verbs: ["get"] },
    ]);
  });

  it("binds the operator's ServiceAccount to its ClusterRole and to the Lease Role in its namespace", () => {
    const account = one(objs, "ServiceAccount", "greeter-operator");
    expect(pod.spec.serviceAccountName).toBe(account.metadata.name);
    const subject = { kind: "ServiceAccount", name: "greeter-operator", namespace: NAMESPACE };
    const manager = one(objs, "ClusterRoleBinding", "greeter-operator-manager");
    expect(manager.subjects).toEqual([subject]);
    expect(manager.roleRef.name).toBe("greeter-operator-manager");
    expect(
      objs
        .filter((o) => o.kind === "ClusterRoleBinding")
        .map((b) => b.metadata.name)
        .sort(),
    ).toEqual(["greeter-operator-manager", "greeter-operator-metrics-auth"]);
    expect(one(objs, "RoleBinding").subjects).toEqual([subject]);
    expect(one(objs, "Role").rules).toEqual([
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
    ]);
  });

  describe("the operator's ClusterRole", () => {
    const rules: Obj[] = one(objs, "ClusterRole", "greeter-operator-manager").rules;
    const verbs = (group: string, resource: string) =>
      rules
        .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource))
        .flatMap((r) => r.verbs);

    it("has no wildcards and no access to secrets", () => {
      for (const r of rules) {
        expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain("*");
        expect(r.resources).not.toContain("secrets");
      }
    });

    it("can read Greeters and write only their status", () => {
      expect(verbs("greeter.operator.dev", "greeters").sort()).toEqual(["get", "list", "watch"]);
      expect(verbs("greeter.operator.dev", "greeters/status")).toEqual(["patch"]);
    });

    it("can watch and server-side apply every kind the reconciler applies, and delete what it deletes", () => {
      const plan = reconcileGreeter(aGreeter(), nothingObserved(), CTX);
      const groups: Record<string, [string, string]> = {
        NetworkPolicy: ["networking.k8s.io", "networkpolicies"],
        Deployment: ["apps", "deployments"],
        Service: ["", "services"],
        ServiceMonitor: ["monitoring.coreos.com", "servicemonitors"],
      };
      const everything = reconcileGreeter(
        aGreeter({ service: { type: "NodePort" }, networkPolicy: { enabled: true } }),
        nothingObserved(),
        CTX,
      );
      expect([...new Set(everything.apply.map((o) => o.kind))]).toEqual(Object.keys(groups));
      for (const [group, resource] of Object.values(groups)) {
        expect(verbs(group, resource)).toEqual(
          expect.arrayContaining(["get", "list", "watch", "create", "patch"]),
        );
      }
      const sm = asServerReturns(plan.apply.find((o) => o.kind === "ServiceMonitor") as Obj);
      const disabled = reconcileGreeter(
        aGreeter({ monitoring: { enabled: false } }),
        nothingObserved({ serviceMonitor: sm }),
        CTX,
      );
      expect(disabled.delete.map((d) => d.kind)).toEqual(["ServiceMonitor"]);
      expect(verbs("monitoring.coreos.com", "servicemonitors")).toContain("delete");
      const exposed = reconcileGreeter(aGreeter({ service: { type: "NodePort" } }), nothingObserved(), CTX);
      const metricsService = asServerReturns(
        exposed.apply.find((o) => o.metadata?.name === "hello-metrics") as Obj,
      );
      const backToClusterIP = reconcileGreeter(aGreeter(), nothingObserved({ metricsService }), CTX);
      expect(backToClusterIP.delete.map((d) => d.kind)).toEqual(["Service"]);
      expect(verbs("", "services")).toContain("delete");
      const networkPolicy = asServerReturns(everything.apply[0] as Obj);
      const optedOut = reconcileGreeter(aGreeter(), nothingObserved({ networkPolicy }), CTX);
      expect(optedOut.delete.map((d) => d.kind)).toEqual(["NetworkPolicy"]);
      expect(verbs("networking.k8s.io", "networkpolicies")).toContain("delete");
      expect(verbs("apps", "deployments")).not.toContain("delete");
    });

    it("can watch pods and record events, and nothing else", () => {
      expect(verbs("", "pods").sort()).toEqual(["list", "watch"]);
      expect(verbs("events.k8s.io", "events").sort()).toEqual(["create", "patch"]);
      const resources = rules.flatMap((r) => r.resources).sort();
      expect(resources).toEqual(
        [
          "deployments",
          "events",
          "greeters",
          "greeters/finalizers",
          "greeters/status",
          "networkpolicies",
          "pods",
          "servicemonitors",
          "services",
        ].sort(),
      );
    });
  });
});

describe("config/default-without-prometheus", () => {
  it("is config/default without the prometheus-operator objects", () => {
    const names = (objs: Obj[]) => objs.map((o) => `${o.apiVersion} ${o.kind}/${o.metadata.name}`).sort();
    const without = names(render("config/default-without-prometheus"));
    expect(without.some((n) => n.startsWith("monitoring.coreos.com/"))).toBe(false);
    expect(without).toEqual(
      names(render("config/default")).filter((n) => !n.startsWith("monitoring.coreos.com/")),
    );
  });
});

describe("config/overlays/kube-prometheus-stack", () => {
  const objs = render("config/overlays/kube-prometheus-stack");
  const release = { release: "kube-prometheus-stack" };

  it("labels the operator's ServiceMonitor and the PrometheusRule for the release's selectors", () => {
    expect(one(objs, "ServiceMonitor", "greeter-operator").metadata.labels).toMatchObject(release);
    expect(one(objs, "PrometheusRule").metadata.labels).toMatchObject(release);
  });

  it("is config/default with only that label added", () => {
    const withoutRelease = (o: Obj): Obj => {
      if (o.apiVersion !== "monitoring.coreos.com/v1") return o;
      const { release: _, ...labels } = o.metadata.labels;
      return { ...o, metadata: { ...o.metadata, labels } };
    };
    expect(objs.map(withoutRelease)).toEqual(render("config/default"));
    const labelled = objs.filter((o) => o.metadata.labels?.release !== undefined).map((o) => o.kind);
    expect(labelled.sort()).toEqual(["PrometheusRule", "ServiceMonitor"]);
  });
});

describe("config/overlays/cert-manager", () => {
  const objs = render("config/overlays/cert-manager");
  const base = render("config/default");
  const manager = (list: Obj[]) =>
    one(list, "Deployment", "greeter-operator").spec.template.spec.containers.find(
      (c: Obj) => c.name === "manager",
    );

  it("mounts the Secret cert-manager issues where METRICS_CERT_PATH points", () => {
    const certificate = one(objs, "Certificate", "greeter-operator-metrics");
    const pod = one(objs, "Deployment", "greeter-operator").spec.template.spec;
    const volume = pod.volumes.find((v: Obj) => v.secret?.secretName === certificate.spec.secretName);
    expect(volume).toBeDefined();
    const mount = manager(objs).volumeMounts.find((m: Obj) => m.name === volume.name);
    expect(manager(objs).env).toContainEqual({ name: "METRICS_CERT_PATH", value: mount.mountPath });
    expect(mount.readOnly).toBe(true);
    expect(one(objs, "Issuer").metadata.name).toBe(certificate.spec.issuerRef.name);
  });

  it("has the ServiceMonitor verify that certificate, for a name it is issued to", () => {
    const certificate = one(objs, "Certificate", "greeter-operator-metrics");
    const service = one(objs, "Service", "greeter-operator-metrics");
    expect(certificate.spec.dnsNames).toContain(`${service.metadata.name}.${NAMESPACE}.svc`);
    const [endpoint] = one(objs, "ServiceMonitor", "greeter-operator").spec.endpoints;
    expect(endpoint.tlsConfig).toEqual({
      serverName: `${service.metadata.name}.${NAMESPACE}.svc`,
      insecureSkipVerify: false,
      ca: { secret: { name: certificate.spec.secretName, key: "ca.crt" } },
    });
    expect(certificate.spec.dnsNames).toContain(endpoint.tlsConfig.serverName);
  });

  it("is config/default otherwise", () => {
    const key = (o: Obj) => `${o.kind}/${o.metadata.name}`;
    const changed = new Set(["Deployment/greeter-operator", "ServiceMonitor/greeter-operator"]);
    const added = objs.filter((o) => !base.some((b) => key(b) === key(o))).map(key);
    expect(added.sort()).toEqual([
      "Certificate/greeter-operator-metrics",
      "Issuer/greeter-operator-selfsigned",
    ]);
    expect(objs.filter((o) => !changed.has(key(o)) && !added.includes(key(o)))).toEqual(
      base.filter((o) => !changed.has(key(o))),
    );
  });
});

describe("config/samples", () => {
  const dir = join(root, "config", "samples");
  const files = readdirSync(dir);

  it("holds only Greeters, so `kubectl apply -f config/samples/` works", () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const doc = parse(readFileSync(join(dir, file), "utf8"));
      expect(doc.apiVersion, file).toBe(API_VERSION);
      expect(doc.kind, file).toBe(KIND);
      expect(GreeterSpecSchema.safeParse(doc.spec).error, file).toBeUndefined();
    }
  });
});
