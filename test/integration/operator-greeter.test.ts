// The operator against a real API server, as a user drives it with kubectl: samples, spec changes, the
// scale subresource, drift, garbage collection, validation and a failing Greeter beside working ones.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULT_GREETER_RESOURCES } from "../../operator/api/v1alpha1/index.ts";
import { FAILING_IMAGES } from "../cluster/kwok-failure-stages.ts";
import { eventually, kubectl, localControlPlane, useTestNamespace } from "../cluster/testing.ts";
import {
  apply,
  condition,
  get,
  greeterManifest,
  greetingOf,
  type KubeObject,
  list,
  must,
  waitForCondition,
  waitForReady,
} from "../support/greeters.ts";
import { OperatorProcess } from "../support/operator-process.ts";

const SAMPLE = join(import.meta.dirname, "..", "..", "config", "samples", "greeter.yaml");
const sample = parse(readFileSync(SAMPLE, "utf8")) as {
  metadata: { name: string };
  spec: { greeting: string; resources: unknown };
};

const local = (await localControlPlane()) !== undefined;

let operator: OperatorProcess;
beforeAll(async () => {
  operator = await OperatorProcess.start();
});
afterAll(async () => {
  expect(await operator?.stop()).toBe(0);
});

const ns = useTestNamespace("op", "test");
afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") console.error(`operator log tail:\n${operator.logTail(40)}`);
});

const controllerRefTo = (greeter: KubeObject) => ({
  apiVersion: "greeter.operator.dev/v1alpha1",
  kind: "Greeter",
  name: greeter.metadata.name,
  uid: greeter.metadata.uid,
  controller: true,
});

const selectorOf = (name: string) =>
  `app.kubernetes.io/name=greeter,app.kubernetes.io/instance=${name},greeter.operator.dev/greeter=${name}`;

describe("the operator on a real control plane", () => {
  it("turns config/samples into a Deployment, Service and ServiceMonitor and reports Ready", async () => {
    const applied = await kubectl(["apply", "-f", SAMPLE], { namespace: ns.name });
    expect(applied.code, applied.stderr).toBe(0);
    const name = sample.metadata.name;

    const greeter = await waitForReady(ns.name, name);
    expect(condition(greeter, "Ready")).toMatchObject({ reason: "AllReplicasReady" });
    expect(condition(greeter, "Degraded")).toMatchObject({ status: "False" });
    expect(condition(greeter, "MonitoringReady")).toMatchObject({
      status: "True",
      reason: "ServiceMonitorReady",
    });
    expect(greeter.status).toMatchObject({
      replicas: 2,
      readyReplicas: 2,
      observedGeneration: greeter.metadata.generation,
    });

    const labels = {
      "app.kubernetes.io/name": "greeter",
      "app.kubernetes.io/instance": name,
      "app.kubernetes.io/managed-by": "greeter-operator",
      "greeter.operator.dev/greeter": name,
    };
    const deployment = await get(ns.name, "deployment", name);
    expect(deployment?.metadata.labels).toMatchObject(labels);
    expect(deployment?.metadata.ownerReferences).toEqual([expect.objectContaining(controllerRefTo(greeter))]);
    expect(deployment?.spec.replicas).toBe(2);
    expect(deployment?.spec.template.metadata.labels).toMatchObject(labels);
    expect(greetingOf(deployment)).toBe(sample.spec.greeting);
    expect(deployment?.spec.template.spec.containers[0].resources).toEqual(sample.spec.resources);

    const service = await get(ns.name, "service", name);
    expect(service?.metadata.ownerReferences).toEqual([expect.objectContaining(controllerRefTo(greeter))]);
    expect(service?.metadata.labels).toMatchObject(labels);
    expect(service?.spec).toMatchObject({
      type: "ClusterIP",
      ports: [
        expect.objectContaining({ name: "http", port: 80, targetPort: "http" }),
        expect.objectContaining({ name: "metrics", port: 9464, targetPort: "metrics" }),
      ],
    });
    expect(await get(ns.name, "service", `${name}-metrics`)).toBeUndefined();
    expect(service?.spec.selector).toMatchObject({ "app.kubernetes.io/instance": name });

    const monitor = await get(ns.name, "servicemonitor", name);
    expect(monitor?.metadata.ownerReferences).toEqual([expect.objectContaining(controllerRefTo(greeter))]);
    expect(monitor?.spec.endpoints).toEqual([
      expect.objectContaining({ port: "metrics", path: "/metrics", interval: "30s" }),
    ]);
    expect(monitor?.spec.jobLabel).toBe("greeter.operator.dev/greeter");
    expect(monitor?.spec.selector.matchLabels).toMatchObject({ "app.kubernetes.io/instance": name });

    // Scheduled and running (on the local control plane, kwok's nodes report them so).
    const pods = await list(ns.name, "pods", selectorOf(name));
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.spec.nodeName).toBeTruthy();
      expect(pod.status.phase).toBe("Running");
    }
    const printed = await must(["get", "greeter", name], ns.name);
    expect(printed).toMatch(new RegExp(`${name}\\s+2\\s+2\\s+.*True`));
  });

  it("keeps a NodePort Greeter's metrics port off its public Service, on an internal ClusterIP Service that goes once it is ClusterIP again", async () => {
    await apply(ns.name, greeterManifest("public", { service: { type: "NodePort" } }));
    await waitForReady(ns.name, "public");
    const service = await get(ns.name, "service", "public");
    expect(service?.spec.type).toBe("NodePort");
    expect(service?.spec.ports.map((p: { name: string }) => p.name)).toEqual(["http"]);
    const metrics = await eventually("the Service public-metrics", () =>
      get(ns.name, "service", "public-metrics"),
    );
    expect(metrics.spec).toMatchObject({
      type: "ClusterIP",
      selector: service?.spec.selector,
      ports: [expect.objectContaining({ name: "metrics", port: 9464, targetPort: "metrics" })],
    });
    expect(metrics.metadata.labels).toMatchObject({ "greeter.operator.dev/greeter": "public" });
    const greeter = await get(ns.name, "greeter", "public");
    expect(metrics.metadata.ownerReferences).toEqual([
      expect.objectContaining(controllerRefTo(greeter as KubeObject)),
    ]);
    // The one Service the ServiceMonitor's selector and port name together pick is the internal one.
    const monitor = await get(ns.name, "servicemonitor", "public");
    const selected = await list(
      ns.name,
      "services",
      Object.entries(monitor?.spec.selector.matchLabels as Record<string, string>)
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
    );
    const port = monitor?.spec.endpoints[0].port;
    expect(
      selected
        .filter((s) => s.spec.ports.some((p: { name: string }) => p.name === port))
        .map((s) => s.metadata.name),
    ).toEqual(["public-metrics"]);

    await must(["patch", "greeter", "public", "--type=merge", "-p", '{"spec":{"service":null}}'], ns.name);
    await eventually(
      "public-metrics to be deleted",
      async () => !(await get(ns.name, "service", "public-metrics")),
    );
    const back = await get(ns.name, "service", "public");
    expect(back?.spec.type).toBe("ClusterIP");
    expect(back?.spec.ports.map((p: { name: string }) => p.name)).toEqual(["http", "metrics"]);
  });

  it("reflects spec changes in the children", async () => {
    await apply(ns.name, greeterManifest("web", { replicas: 2, greeting: "Hi {name}" }));
    await waitForReady(ns.name, "web");

    await must(
      ["patch", "greeter", "web", "--type=merge", "-p", '{"spec":{"greeting":"Hey {name}!","replicas":1}}'],
      ns.name,
    );
    const changed = await waitForReady(ns.name, "web");
    expect(changed.status).toMatchObject({ replicas: 1, readyReplicas: 1 });
    const deployment = await get(ns.name, "deployment", "web");
    expect(greetingOf(deployment)).toBe("Hey {name}!");
    expect(deployment?.spec.replicas).toBe(1);

    await must(
      ["patch", "greeter", "web", "--type=merge", "-p", '{"spec":{"monitoring":{"enabled":false}}}'],
      ns.name,
    );
    await waitForCondition(ns.name, "web", "MonitoringReady", "False", "MonitoringDisabled");
    await eventually(
      "the ServiceMonitor to be deleted",
      async () => !(await get(ns.name, "servicemonitor", "web")),
    );

    await must(
      [
        "patch",
        "greeter",
        "web",
        "--type=merge",
        "-p",
        '{"spec":{"monitoring":{"enabled":true,"interval":"15s"}}}',
      ],
      ns.name,
    );
    await waitForCondition(ns.name, "web", "MonitoringReady", "True", "ServiceMonitorReady");
    const monitor = await get(ns.name, "servicemonitor", "web");
    expect(monitor?.spec.endpoints[0].interval).toBe("15s");
  });

  it("scales through the scale subresource with kubectl scale", async () => {
    await apply(ns.name, greeterManifest("web", { replicas: 1 }));
    await waitForReady(ns.name, "web");

    const scaled = await kubectl(["scale", "greeter/web", "--replicas=3"], { namespace: ns.name });
    expect(scaled).toMatchObject({ code: 0, stdout: "greeter.greeter.operator.dev/web scaled\n" });
    const greeter = await eventually("3 ready replicas", async () => {
      const g = await waitForReady(ns.name, "web");
      return g.status.readyReplicas === 3 ? g : undefined;
    });
    expect(greeter.spec.replicas).toBe(3);
    expect((await get(ns.name, "deployment", "web"))?.spec.replicas).toBe(3);

    const scale = JSON.parse(
      await must(["get", "greeter", "web", "--subresource=scale", "-o", "json"], ns.name),
    );
    expect(scale).toMatchObject({ kind: "Scale", spec: { replicas: 3 }, status: { replicas: 3 } });
    // The selector lets `kubectl get pods -l` (and an HPA) find exactly this Greeter's pods.
    expect(await list(ns.name, "pods", scale.status.selector)).toHaveLength(3);
  });

  it("restores children that were edited or deleted", async () => {
    await apply(ns.name, greeterManifest("web", { replicas: 2, greeting: "Hello {name}" }));
    await waitForReady(ns.name, "web");
    const originalService = await get(ns.name, "service", "web");

    await must(["scale", "deployment/web", "--replicas=5"], ns.name);
    await must(["set", "env", "deployment/web", "GREETING=hijacked {name}"], ns.name);
    await eventually(
      "the Deployment to be restored",
      async () => {
        const d = await get(ns.name, "deployment", "web");
        return d?.spec.replicas === 2 && greetingOf(d) === "Hello {name}";
      },
      20_000,
    );

    await must(["delete", "service", "web"], ns.name);
    await must(["delete", "servicemonitor", "web"], ns.name);
    const service = await eventually(
      "the Service to be recreated",
      async () => {
        const s = await get(ns.name, "service", "web");
        return s && s.metadata.uid !== originalService?.metadata.uid ? s : undefined;
      },
      20_000,
    );
    expect(service.spec.ports[0]).toMatchObject({ port: 80, targetPort: "http" });
    await eventually(
      "the ServiceMonitor to be recreated",
      () => get(ns.name, "servicemonitor", "web"),
      20_000,
    );
    await waitForReady(ns.name, "web");
  });

  it("leaves garbage collection of a deleted Greeter's children to Kubernetes", async () => {
    await apply(ns.name, greeterManifest("web", { replicas: 2 }));
    await waitForReady(ns.name, "web");
    expect(await list(ns.name, "pods", selectorOf("web"))).toHaveLength(2);

    await must(["delete", "greeter", "web", "--wait=false"], ns.name);
    await eventually("the children and their pods to be garbage-collected", async () => {
      const left = await Promise.all([
        get(ns.name, "deployment", "web"),
        get(ns.name, "service", "web"),
        get(ns.name, "servicemonitor", "web"),
      ]);
      const rs = await list(ns.name, "replicasets", selectorOf("web"));
      const pods = await list(ns.name, "pods", selectorOf("web"));
      return left.every((o) => o === undefined) && rs.length === 0 && pods.length === 0;
    });
  });

  it.each([
    [
      "negative replicas",
      { replicas: -1 },
      /spec\.replicas: Invalid value: -1: .*greater than or equal to 0/,
    ],
    ["an unknown field", { replikas: 2 }, /unknown field "spec\.replikas"/],
    [
      "a greeting template without {name}",
      { greeting: "Hello" },
      /spec\.greeting: Invalid value: "Hello": greeting must contain \{name\}/,
    ],
    [
      "a nodePort on a ClusterIP Service (cross-field rule)",
      { service: { type: "ClusterIP", nodePort: 30080 } },
      /spec\.service\.nodePort: Invalid value: nodePort requires service type NodePort or LoadBalancer/,
    ],
  ])("rejects %s with a readable message", async (_, spec, message) => {
    const res = await kubectl(["apply", "-f", "-"], {
      namespace: ns.name,
      input: greeterManifest("bad", spec),
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(message);
    expect(await get(ns.name, "greeter", "bad")).toBeUndefined();
  });

  it("marks a failing Greeter Degraded with a reason while the others keep working", async () => {
    // A Deployment the operator does not own already has the name: it must not be taken over.
    await must(["create", "deployment", "taken", "--image=127.0.0.1:1/someone/else:1"], ns.name);
    // An affinity the CRD passes through but the API server refuses in a Deployment.
    const badAffinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In" }] }],
        },
      },
    };
    await apply(ns.name, greeterManifest("taken", { replicas: 1 }));
    await apply(ns.name, greeterManifest("unschedulable", { replicas: 1, affinity: badAffinity }));
    await apply(ns.name, greeterManifest("fine", { replicas: 2 }));

    const conflict = await waitForCondition(ns.name, "taken", "Degraded", "True", "NameConflict");
    expect(condition(conflict, "Ready")).toMatchObject({ status: "False", reason: "NameConflict" });
    expect(condition(conflict, "Degraded")?.message).toMatch(/Deployment/);
    const foreign = await get(ns.name, "deployment", "taken");
    expect(foreign?.metadata.ownerReferences).toBeUndefined();
    expect(foreign?.spec.template.spec.containers[0].image).toBe("127.0.0.1:1/someone/else:1");

    const failed = await waitForCondition(ns.name, "unschedulable", "Degraded", "True", "ApplyFailed");
    expect(condition(failed, "Degraded")?.message).toMatch(/values: Required value/);

    const fine = await waitForReady(ns.name, "fine");
    expect(fine.status.readyReplicas).toBe(2);
    const events = await must(
      ["get", "events.events.k8s.io", "--field-selector=regarding.name=taken", "-o", "json"],
      ns.name,
    );
    expect(JSON.parse(events).items.map((e: { reason: string }) => e.reason)).toContain("NameConflict");

    // The operator watches the names others hold: once the other Deployment is gone, the Greeter gets its own
    // without waiting for a resync (10 h by default).
    await must(["delete", "deployment", "taken", "--wait=true"], ns.name);
    const freed = await waitForReady(ns.name, "taken");
    expect(condition(freed, "Degraded")).toMatchObject({ status: "False" });
    const ours = await get(ns.name, "deployment", "taken");
    expect(ours?.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Greeter", name: "taken" });
  });

  it("reports a NodePort someone else holds as Degraded, and recovers by itself once it is freed", async () => {
    const port = 30000 + Math.floor(Math.random() * 2700);
    await must(["create", "service", "nodeport", "holder", `--tcp=80:8080`, `--node-port=${port}`], ns.name);
    await apply(
      ns.name,
      greeterManifest("np", { replicas: 1, service: { type: "NodePort", nodePort: port } }),
    );
    const held = await waitForCondition(ns.name, "np", "Degraded", "True", "ApplyFailed");
    expect(condition(held, "Degraded")?.message).toMatch(/already allocated/);
    // Nothing about the Greeter changes: only the operator's retries can notice that the port is free.
    await must(["delete", "service", "holder", "--wait=true"], ns.name);
    const freed = await waitForReady(ns.name, "np");
    expect(condition(freed, "Degraded")).toMatchObject({ status: "False" });
    expect((await get(ns.name, "service", "np"))?.spec.ports[0].nodePort).toBe(port);
  });

  it("gives a Greeter created without resources the default requests and memory limit, down to Burstable pods", async () => {
    await apply(ns.name, greeterManifest("defaults", { replicas: 1 }));
    const greeter = await get(ns.name, "greeter", "defaults");
    expect(greeter?.spec.resources).toEqual(DEFAULT_GREETER_RESOURCES);
    await waitForReady(ns.name, "defaults");
    const deployment = await get(ns.name, "deployment", "defaults");
    expect(deployment?.spec.template.spec.containers[0].resources).toEqual(DEFAULT_GREETER_RESOURCES);
    const pods = await list(ns.name, "pods", selectorOf("defaults"));
    expect(pods.map((p) => p.status?.qosClass)).toEqual(["Burstable"]);
  });

  it("reports pods a ResourceQuota refuses as Degraded with the API server's message, and recovers", async () => {
    // A quota on limits.cpu refuses pods without a CPU limit, and the default resources set none.
    await must(["create", "quota", "compute", "--hard=requests.cpu=1,limits.cpu=1"], ns.name);
    await apply(ns.name, greeterManifest("quota", { replicas: 1 }));
    // Not RolloutInProgress until the Deployment's 600 s progress deadline: the ReplicaFailure shows at once.
    const refused = await waitForCondition(ns.name, "quota", "Degraded", "True", "ReplicaFailure");
    expect(condition(refused, "Degraded")?.message).toMatch(/failed quota: compute: must specify/);
    expect(condition(refused, "Ready")).toMatchObject({ status: "False", reason: "ReplicasNotReady" });
    const events = await must(
      ["get", "events.events.k8s.io", "--field-selector=regarding.name=quota", "-o", "json"],
      ns.name,
    );
    expect(JSON.parse(events).items.map((e: { reason: string }) => e.reason)).toContain("ReplicaFailure");

    const resources = { requests: { cpu: "100m" }, limits: { cpu: "100m" } };
    await must(
      ["patch", "greeter", "quota", "--type=merge", "-p", JSON.stringify({ spec: { resources } })],
      ns.name,
    );
    await waitForReady(ns.name, "quota");
    // The Deployment may still carry the old ReplicaSet's ReplicaFailure for a moment after the new pods are
    // Ready (the ReplicaSet controller clears it on its next sync), so Degraded follows Ready, not with it.
    await waitForCondition(ns.name, "quota", "Degraded", "False");
  });

  it("reports pods that cannot pull their image or crash-loop as Degraded, and recovers", async () => {
    await apply(ns.name, greeterManifest("pull", { replicas: 1, image: FAILING_IMAGES.imagePull }));
    await apply(ns.name, greeterManifest("fine", { replicas: 1 }));
    const pulling = await waitForCondition(ns.name, "pull", "Degraded", "True", "ImagePullFailed");
    expect(condition(pulling, "Ready")).toMatchObject({ status: "False" });
    // kwok reports ImagePullBackOff; a kubelet reports ErrImagePull first, then backs off.
    expect(condition(pulling, "Degraded")?.message).toMatch(/ErrImagePull|ImagePullBackOff/);
    await waitForReady(ns.name, "fine");

    // Fixing the image is enough: the new pods run and the Greeter is Ready and no longer Degraded.
    await must(["patch", "greeter", "pull", "--type=merge", "-p", '{"spec":{"image":null}}'], ns.name);
    const fixed = await waitForReady(ns.name, "pull");
    expect(condition(fixed, "Degraded")).toMatchObject({ status: "False" });

    if (local) {
      // kwok reports CrashLoopBackOff for this image; a real cluster would fail to pull it instead.
      await apply(ns.name, greeterManifest("crash", { replicas: 1, image: FAILING_IMAGES.crashLoop }));
      const crashing = await waitForCondition(ns.name, "crash", "Degraded", "True", "CrashLooping");
      expect(condition(crashing, "Degraded")?.message).toMatch(/CrashLoopBackOff/);
    }
  });
});
