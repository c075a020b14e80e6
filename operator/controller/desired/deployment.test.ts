import { describe, expect, it } from "vitest";
import { GreeterSpecSchema } from "../../api/v1alpha1/greeter.ts";
import { aGreeter, CTX, UID } from "../testing/fixtures.ts";
import { desiredDeployment } from "./deployment.ts";

const build = (spec: Parameters<typeof aGreeter>[0] = {}) =>
  desiredDeployment(aGreeter(spec), GreeterSpecSchema.parse(spec), CTX.defaultImage);
const container = (spec: Parameters<typeof aGreeter>[0] = {}) =>
  build(spec).spec?.template.spec?.containers[0];

describe("desiredDeployment", () => {
  it("runs one greeter pod with the default greeting and the operator's image by default", () => {
    const d = build();
    expect(d.metadata).toMatchObject({ name: "hello", namespace: "demo" });
    expect(d.spec?.replicas).toBe(1);
    expect(container()?.image).toBe("greeter:0.1.0");
    expect(container()?.env).toContainEqual({ name: "GREETING", value: "Hello, {name}" });
  });

  it("uses spec.image and spec.greeting", () => {
    const c = container({ image: "registry.example/greeter:2", greeting: "Salut, {name}" });
    expect(c?.image).toBe("registry.example/greeter:2");
    expect(c?.env).toContainEqual({ name: "GREETING", value: "Salut, {name}" });
  });

  it("keeps replicas 0 (not dropped as falsy)", () => {
    expect(build({ replicas: 0 }).spec?.replicas).toBe(0);
  });

  it("exposes port 8080 named http and probes /healthz and /readyz on it; /metrics on its own port 9464 named metrics", () => {
    const c = container();
    expect(c?.ports).toEqual([
      { name: "http", containerPort: 8080, protocol: "TCP" },
      { name: "metrics", containerPort: 9464, protocol: "TCP" },
    ]);
    expect(c?.env).toContainEqual({ name: "PORT", value: "8080" });
    expect(c?.env).toContainEqual({ name: "METRICS_PORT", value: "9464" });
    expect(c?.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(c?.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http" });
  });

  it("ends its pods gracefully: a native preStop sleep, the greeter's delay and drain, all within the grace period", () => {
    const pod = build().spec?.template.spec;
    const c = pod?.containers[0];
    // A sleep action, never exec: the distroless image has no shell.
    expect(c?.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ SHUTDOWN_DELAY_MS: "5000", DRAIN_TIMEOUT_MS: "10000" });
    expect(pod?.terminationGracePeriodSeconds).toBe(25);

    const sleepMs = (c?.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
    const worstCaseMs = sleepMs + Number(env.SHUTDOWN_DELAY_MS) + Number(env.DRAIN_TIMEOUT_MS);
    // The greeter may take up to 2 s more to flush its logs after a drain timeout; keep room beyond that.
    expect((pod?.terminationGracePeriodSeconds ?? 0) * 1000).toBeGreaterThanOrEqual(
      worstCaseMs + 2_000 + 3_000,
    );
  });

  it("runs hardened: non-root numeric user, read-only root fs, no capabilities, RuntimeDefault seccomp", () => {
    const d = build();
    expect(container()?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(d.spec?.template.spec?.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(d.spec?.template.spec?.automountServiceAccountToken).toBe(false);
  });

  it("selects its pods by stable labels that the template carries", () => {
    const d = build();
    const selector = d.spec?.selector.matchLabels ?? {};
    expect(selector).toEqual({
      "app.kubernetes.io/name": "greeter",
      "app.kubernetes.io/instance": "hello",
      "greeter.operator.dev/greeter": "hello",
    });
    expect(d.spec?.template.metadata?.labels).toMatchObject(selector);
    expect(d.metadata?.labels).toMatchObject({ "app.kubernetes.io/managed-by": "greeter-operator" });
  });

  it("is controlled by its Greeter so it is garbage-collected with it", () => {
    expect(build().metadata?.ownerReferences).toEqual([
      {
        apiVersion: "greeter.operator.dev/v1alpha1",
        kind: "Greeter",
        name: "hello",
        uid: UID,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it("sets resources, with integer quantities as strings", () => {
    const c = container({ resources: { requests: { cpu: 1, memory: "64Mi" }, limits: { memory: "128Mi" } } });
    expect(c?.resources).toEqual({ requests: { cpu: "1", memory: "64Mi" }, limits: { memory: "128Mi" } });
  });

  it("gives a spec without resources the default requests and memory limit: Burstable, not BestEffort", () => {
    expect(container()?.resources).toEqual({
      requests: { cpu: "50m", memory: "128Mi" },
      limits: { memory: "256Mi" },
    });
  });

  it("sets no resources when the spec asks for none ({})", () => {
    expect(container({ resources: {} })?.resources).toEqual({});
  });

  it("takes a spec's resources as they are, without mixing in the defaults", () => {
    expect(container({ resources: { requests: { memory: "512Mi" } } })?.resources).toEqual({
      requests: { memory: "512Mi" },
    });
  });

  it("leaves placement unset when the spec has none", () => {
    const pod = build().spec?.template.spec;
    expect(pod?.nodeSelector).toBeUndefined();
    expect(pod?.tolerations).toBeUndefined();
    expect(pod?.affinity).toBeUndefined();
  });

  it("passes placement through to the pods", () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }],
        },
      },
    };
    const tolerations = [
      { key: "dedicated", operator: "Equal" as const, value: "greeters", effect: "NoSchedule" as const },
    ];
    const pod = build({ nodeSelector: { "kubernetes.io/os": "linux" }, tolerations, affinity }).spec?.template
      .spec;
    expect(pod?.nodeSelector).toEqual({ "kubernetes.io/os": "linux" });
    expect(pod?.tolerations).toEqual(tolerations);
    expect(pod?.affinity).toEqual(affinity);
  });
});
