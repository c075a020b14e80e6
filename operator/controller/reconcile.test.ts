import type { V1Deployment, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { Condition, GreeterSpecInput, GreeterStatus } from "../api/v1alpha1/greeter.ts";
import { GreeterSpecSchema } from "../api/v1alpha1/greeter.ts";
import { desiredService } from "./desired/service.ts";
import { appliedKey, fingerprintToRemember, reconcileGreeter, statusNeedsWrite } from "./reconcile.ts";
import { converged } from "./testing/converged.ts";
import {
  aGreeter,
  aPod,
  asServerReturns,
  CTX,
  EVERY_FIELD,
  foreign,
  LATER,
  NOW,
  nothingObserved,
  type ServiceMonitor,
  withRollout,
} from "./testing/fixtures.ts";
import type { NetworkPolicy, Plan } from "./types.ts";

const condition = (plan: Plan | GreeterStatus, type: string): Condition | undefined =>
  ("status" in plan && typeof plan.status === "object"
    ? (plan as Plan).status
    : (plan as GreeterStatus)
  ).conditions?.find((c) => c.type === type);
const kinds = (plan: Plan) => plan.apply.map((o) => o.kind);

describe("a new Greeter", () => {
  const plan = reconcileGreeter(aGreeter(), nothingObserved(), CTX);

  it("creates its Deployment, Service and ServiceMonitor", () => {
    expect(kinds(plan)).toEqual(["Deployment", "Service", "ServiceMonitor"]);
    expect(plan.delete).toEqual([]);
  });

  it("records a Created event per child", () => {
    expect(plan.events.filter((e) => e.reason === "Created").map((e) => e.related?.kind)).toEqual([
      "Deployment",
      "Service",
      "ServiceMonitor",
    ]);
  });

  it("is Progressing, not yet Ready, not Degraded", () => {
    expect(condition(plan, "Ready")).toMatchObject({ status: "False", reason: "RolloutInProgress" });
    expect(condition(plan, "Progressing")).toMatchObject({ status: "True", reason: "RolloutInProgress" });
    expect(condition(plan, "Degraded")).toMatchObject({ status: "False", reason: "AsExpected" });
    expect(condition(plan, "MonitoringReady")).toMatchObject({ status: "True" });
  });

  it("reports the selector, the URL and the generation it acted on", () => {
    expect(plan.status).toMatchObject({
      observedGeneration: 1,
      replicas: 0,
      readyReplicas: 0,
      selector:
        "app.kubernetes.io/instance=hello,app.kubernetes.io/name=greeter,greeter.operator.dev/greeter=hello",
      url: "http://hello.demo.svc.cluster.local:80",
    });
  });

  it("stamps conditions with the reconcile time and the generation", () => {
    for (const c of plan.status.conditions ?? []) {
      expect(c.lastTransitionTime).toBe("2026-11-26T04:00:00Z");
      expect(c.observedGeneration).toBe(1);
    }
  });

  it("does not flood events with benign first conditions", () => {
    expect(plan.events.filter((e) => e.action === "Reconcile")).toEqual([]);
  });
});

describe("a converged Greeter", () => {
  const { greeter, observed, settled } = converged();

  it("becomes Ready when every replica is ready", () => {
    expect(condition(settled, "Ready")).toMatchObject({ status: "True", reason: "AllReplicasReady" });
    expect(condition(settled, "Progressing")).toMatchObject({ status: "False", reason: "RolloutComplete" });
    expect(settled.status).toMatchObject({ replicas: 1, readyReplicas: 1 });
  });

  it("becomes Ready without an Event of its own: its Created Event told of the rollout (rollout-events.test.ts)", () => {
    expect(settled.events).toEqual([]);
  });

  it("needs no apply, no delete, no status write and no event when nothing changed", () => {
    const again = reconcileGreeter(greeter, observed, { ...CTX, now: new Date("2026-11-26T05:00:00Z") });
    expect(again.apply).toEqual([]);
    expect(again.delete).toEqual([]);
    expect(again.events).toEqual([]);
    expect(statusNeedsWrite(greeter.status, again.status)).toBe(false);
  });

  it("stays idle for every optional field set", () => {
    const c = converged(EVERY_FIELD);
    const again = reconcileGreeter(c.greeter, c.observed, { ...CTX, now: LATER });
    expect(again.apply).toEqual([]);
    expect(statusNeedsWrite(c.greeter.status, again.status)).toBe(false);
  });

  it("applies only the Deployment when the greeting changes, and says so", () => {
    const changed = {
      ...greeter,
      spec: { greeting: "Hi, {name}" },
      metadata: { ...greeter.metadata, generation: 2 },
    };
    const plan = reconcileGreeter(changed, observed, { ...CTX, now: LATER });
    expect(kinds(plan)).toEqual(["Deployment"]);
    expect(plan.events).toContainEqual(expect.objectContaining({ reason: "Updated", action: "Update" }));
    expect(condition(plan, "Progressing")).toMatchObject({ status: "True", reason: "RolloutInProgress" });
    expect(plan.status.observedGeneration).toBe(2);
  });

  it("applies only the Service when the port changes", () => {
    const changed = { ...greeter, spec: { service: { port: 8080 } } };
    const plan = reconcileGreeter(changed, observed, CTX);
    expect(kinds(plan)).toEqual(["Service"]);
    expect(plan.status.url).toBe("http://hello.demo.svc.cluster.local:8080");
  });

  it("repairs a child that drifted", () => {
    const drifted = structuredClone(observed);
    const container = drifted.deployment?.spec?.template.spec?.containers[0];
    if (container) container.image = "someone/else";
    expect(kinds(reconcileGreeter(greeter, drifted, CTX))).toEqual(["Deployment"]);
  });

  it("updates a Deployment written without the graceful end (an older operator's): preStop and grace period", () => {
    const older = structuredClone(observed);
    const pod = older.deployment?.spec?.template.spec;
    if (pod) {
      pod.terminationGracePeriodSeconds = 30;
      delete pod.containers[0]?.lifecycle;
    }
    expect(kinds(reconcileGreeter(greeter, older, CTX))).toEqual(["Deployment"]);
  });

  it("recreates a child that was deleted", () => {
    const plan = reconcileGreeter(greeter, { ...observed, service: undefined }, CTX);
    expect(kinds(plan)).toEqual(["Service"]);
    expect(plan.events).toContainEqual(expect.objectContaining({ reason: "Created" }));
  });
});

describe("reconciling the same objects again (every resync)", () => {
  // The reconciler remembers the no-op check's answer per cached child (reconcile.ts, lastCheck): these are
  // the changes that answer must not survive. Each starts from one reconcile of the very same objects.
  const again = (g = converged()) => {
    expect(reconcileGreeter(g.greeter, g.observed, { ...CTX, now: LATER }).apply).toEqual([]);
    return g;
  };

  it("applies the Deployment when the Greeter changes and the Deployment did not", () => {
    const { greeter, observed } = again();
    const changed = { ...greeter, spec: { ...greeter.spec, greeting: "Hi, {name}" } };
    expect(kinds(reconcileGreeter(changed, observed, { ...CTX, now: LATER }))).toEqual(["Deployment"]);
  });

  it("rolls the Deployment to a new default image (an operator upgrade) with nothing else changed", () => {
    const { greeter, observed } = again();
    const plan = reconcileGreeter(greeter, observed, { ...CTX, defaultImage: "greeter:0.2.0", now: LATER });
    expect(kinds(plan)).toEqual(["Deployment"]);
  });

  it("checks a child again once the apply remembered for it is forgotten", () => {
    const { greeter, observed, first } = converged();
    const desired = first.apply.find((o) => o.kind === "Deployment") as V1Deployment;
    const shaped = structuredClone(observed.deployment as V1Deployment);
    shaped.spec?.template.spec?.containers[0]?.env?.push({ name: "INJECTED", value: "1" });
    const applied = { [appliedKey(desired)]: fingerprintToRemember(desired, shaped) as number };
    const remembered = { ...observed, deployment: shaped, applied };
    expect(reconcileGreeter(greeter, remembered, { ...CTX, now: LATER }).apply).toEqual([]);
    const forgotten = { ...observed, deployment: shaped };
    expect(kinds(reconcileGreeter(greeter, forgotten, { ...CTX, now: LATER }))).toEqual(["Deployment"]);
  });

  it("repairs a child the cache replaced with a drifted copy", () => {
    const { greeter, observed } = again();
    const drifted = structuredClone(observed.service as V1Service);
    if (drifted.spec?.ports?.[0]) drifted.spec.ports[0].port = 1234;
    const plan = reconcileGreeter(greeter, { ...observed, service: drifted }, { ...CTX, now: LATER });
    expect(kinds(plan)).toEqual(["Service"]);
  });
});

describe("the metrics port of an exposed Greeter", () => {
  const names = (plan: Plan) => plan.apply.map((o) => `${o.kind} ${o.metadata?.name}`);

  it("a new ClusterIP Greeter makes one Service, with both ports", () => {
    const plan = reconcileGreeter(aGreeter(), nothingObserved(), CTX);
    expect(names(plan)).toEqual(["Deployment hello", "Service hello", "ServiceMonitor hello"]);
  });

  it("a new NodePort Greeter also makes the internal Service hello-metrics", () => {
    const plan = reconcileGreeter(aGreeter({ service: { type: "NodePort" } }), nothingObserved(), CTX);
    expect(names(plan)).toEqual([
      "Deployment hello",
      "Service hello",
      "Service hello-metrics",
      "ServiceMonitor hello",
    ]);
  });

  it("going back to ClusterIP deletes hello-metrics and puts the metrics port on the Greeter's Service", () => {
    const { greeter, observed } = converged({ service: { type: "LoadBalancer" } });
    const plan = reconcileGreeter({ ...greeter, spec: {} }, observed, CTX);
    expect(names(plan)).toEqual(["Service hello"]);
    expect((plan.apply[0] as V1Service).spec?.ports?.map((p) => p.name)).toEqual(["http", "metrics"]);
    expect(plan.delete).toEqual([
      expect.objectContaining({ kind: "Service", name: "hello-metrics", uid: "uid-of-Service" }),
    ]);
  });

  it("going to NodePort takes the metrics port off the public Service", () => {
    const { greeter, observed } = converged();
    const plan = reconcileGreeter({ ...greeter, spec: { service: { type: "NodePort" } } }, observed, CTX);
    expect(names(plan)).toEqual(["Service hello", "Service hello-metrics"]);
    expect((plan.apply[0] as V1Service).spec?.ports?.map((p) => p.name)).toEqual(["http"]);
  });

  it("never applies over a foreign Service named hello-metrics, and is Degraded with NameConflict", () => {
    const { greeter, observed } = converged({ service: { type: "NodePort" } });
    const clash = foreign(observed.metricsService as V1Service);
    const plan = reconcileGreeter(greeter, { ...observed, metricsService: clash }, CTX);
    expect(plan.apply).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(condition(plan, "Degraded")).toMatchObject({ status: "True", reason: "NameConflict" });
    expect(condition(plan, "Degraded")?.message).toMatch(/Service demo\/hello-metrics already exists/);
  });

  it("leaves a foreign hello-metrics alone once the Greeter is ClusterIP", () => {
    const { greeter, observed } = converged();
    const other = foreign(asServerReturns(desiredService(aGreeter(), GreeterSpecSchema.parse({}))));
    const plan = reconcileGreeter(greeter, { ...observed, metricsService: other }, CTX);
    expect(plan.delete).toEqual([]);
  });

  it("degrades an exposed Greeter whose name leaves no room for -metrics", () => {
    const name = `g${"x".repeat(55)}`;
    const plan = reconcileGreeter(
      aGreeter({ service: { type: "NodePort" } }, { name }),
      nothingObserved(),
      CTX,
    );
    expect(plan.apply).toEqual([]);
    expect(condition(plan, "Degraded")?.message).toMatch(/at most 55 characters/);
    expect(reconcileGreeter(aGreeter({}, { name }), nothingObserved(), CTX).apply).not.toEqual([]);
  });
});

describe("the opt-in NetworkPolicy", () => {
  const names = (plan: Plan) => plan.apply.map((o) => `${o.kind} ${o.metadata?.name}`);
  const opted = { networkPolicy: { enabled: true, namespaces: ["shop"] } };

  it("is created before the Deployment, so the pods never run without it", () => {
    const plan = reconcileGreeter(aGreeter(opted), nothingObserved(), CTX);
    expect(names(plan)).toEqual([
      "NetworkPolicy hello",
      "Deployment hello",
      "Service hello",
      "ServiceMonitor hello",
    ]);
  });

  it("stays idle once converged, and is applied again when the namespaces change", () => {
    const { greeter, observed } = converged(opted);
    expect(reconcileGreeter(greeter, observed, { ...CTX, now: LATER }).apply).toEqual([]);
    const changed = { ...greeter, spec: { networkPolicy: { enabled: true, namespaces: ["shop", "cart"] } } };
    expect(names(reconcileGreeter(changed, observed, CTX))).toEqual(["NetworkPolicy hello"]);
  });

  it.each([
    ["disabled", { networkPolicy: { enabled: false } }],
    ["removed", {}],
  ])("is deleted once the opt-in is %s", (_how, spec) => {
    const { greeter, observed } = converged(opted);
    const plan = reconcileGreeter({ ...greeter, spec }, observed, CTX);
    expect(plan.apply).toEqual([]);
    expect(plan.delete).toEqual([
      expect.objectContaining({ kind: "NetworkPolicy", name: "hello", uid: "uid-of-NetworkPolicy" }),
    ]);
  });

  it("never applies over a NetworkPolicy it does not control, and is Degraded with NameConflict", () => {
    const { greeter, observed } = converged(opted);
    const clash = foreign(observed.networkPolicy as NetworkPolicy);
    const plan = reconcileGreeter(greeter, { ...observed, networkPolicy: clash }, CTX);
    expect(plan.apply).toEqual([]);
    expect(condition(plan, "Degraded")).toMatchObject({ status: "True", reason: "NameConflict" });
    expect(condition(plan, "Degraded")?.message).toMatch(/NetworkPolicy demo\/hello already exists/);
  });

  it("leaves someone else's NetworkPolicy of that name alone when the Greeter does not opt in", () => {
    const { observed: withPolicy } = converged(opted);
    const { greeter, observed } = converged();
    const other = foreign(withPolicy.networkPolicy as NetworkPolicy);
    const plan = reconcileGreeter(greeter, { ...observed, networkPolicy: other }, CTX);
    expect(plan.delete).toEqual([]);
    expect(condition(plan, "Degraded")).toMatchObject({ status: "False" });
  });
});

describe("rollout states", () => {
  const { greeter, observed } = converged({ replicas: 3 });
  const at = (deployment: V1Deployment) => reconcileGreeter(greeter, { ...observed, deployment }, CTX);
  const base = observed.deployment as V1Deployment;

  it("is Progressing while pods are coming up", () => {
    const plan = at(withRollout(base, { ready: 1 }));
    expect(condition(plan, "Ready")).toMatchObject({ status: "False", reason: "ReplicasNotReady" });
    expect(condition(plan, "Ready")?.message).toBe("1 of 3 replicas ready");
    expect(condition(plan, "Progressing")).toMatchObject({ status: "True", reason: "RolloutInProgress" });
    expect(plan.status).toMatchObject({ replicas: 3, readyReplicas: 1 });
  });

  it("is not Ready while old pods are still there", () => {
    const plan = at(withRollout(base, { ready: 3, replicas: 4, updated: 3 }));
    expect(condition(plan, "Ready")?.status).toBe("False");
    expect(condition(plan, "Ready")?.message).toMatch(/old replicas/);
  });

  it("is not Ready until the Deployment controller has seen the latest generation", () => {
    const plan = at(
      withRollout(
        { ...base, metadata: { ...base.metadata, generation: 2 } },
        { ready: 3, observedGeneration: 1 },
      ),
    );
    expect(condition(plan, "Ready")?.status).toBe("False");
    expect(condition(plan, "Progressing")?.status).toBe("True");
  });

  it("does not hold a progress deadline of the template the spec just replaced against the new one", () => {
    const stale = withRollout(
      { ...base, metadata: { ...base.metadata, generation: 2 } },
      { ready: 1, observedGeneration: 1 },
      {
        conditions: [
          { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "too slow" },
        ],
      },
    );
    const plan = at(stale);
    expect(condition(plan, "Degraded")).toMatchObject({ status: "False", reason: "AsExpected" });
    expect(condition(plan, "Progressing")).toMatchObject({ status: "True", reason: "RolloutInProgress" });
  });

  it("is Degraded when the rollout exceeded its progress deadline", () => {
    const deadline = withRollout(
      base,
      { ready: 1 },
      {
        conditions: [
          { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "too slow" },
        ],
      },
    );
    const plan = at(deadline);
    expect(condition(plan, "Degraded")).toMatchObject({ status: "True", reason: "ProgressDeadlineExceeded" });
    expect(condition(plan, "Progressing")).toMatchObject({
      status: "False",
      reason: "ProgressDeadlineExceeded",
    });
  });

  it("is Degraded at once, with the API server's message, when the Deployment cannot create its pods", () => {
    const message =
      'pods "hello-7d9f-x" is forbidden: failed quota: compute: must specify limits.cpu for: greeter';
    const refused = withRollout(
      base,
      { ready: 0, replicas: 0, updated: 0 },
      {
        conditions: [
          { type: "Progressing", status: "True", reason: "ReplicaSetUpdated", message: "progressing" },
          { type: "ReplicaFailure", status: "True", reason: "FailedCreate", message },
        ],
      },
    );
    const plan = at(refused);
    expect(condition(plan, "Degraded")).toMatchObject({ status: "True", reason: "ReplicaFailure" });
    expect(condition(plan, "Degraded")?.message).toContain(message);
    expect(condition(plan, "Ready")).toMatchObject({ status: "False", reason: "ReplicasNotReady" });
    expect(condition(plan, "Ready")?.message).toContain(message);
  });
});

describe("replicas 0", () => {
  const { settled } = converged({ replicas: 0 });

  it("is Ready as ScaledToZero", () => {
    expect(condition(settled, "Ready")).toMatchObject({ status: "True", reason: "ScaledToZero" });
    expect(settled.status).toMatchObject({ replicas: 0, readyReplicas: 0 });
  });
});

describe("failing pods", () => {
  const { greeter, observed } = converged();
  const notReady = {
    ...observed,
    deployment: withRollout(observed.deployment as V1Deployment, { ready: 0 }),
  };

  it.each([
    ["ImagePullBackOff", "ImagePullFailed"],
    ["ErrImagePull", "ImagePullFailed"],
    ["CrashLoopBackOff", "CrashLooping"],
  ])("%s makes the Greeter Degraded (%s) with a Warning event", (waiting, reason) => {
    const plan = reconcileGreeter(
      greeter,
      { ...notReady, pods: [aPod("hello-abc", waiting, "back-off")] },
      LATER_CTX,
    );
    expect(condition(plan, "Degraded")).toMatchObject({ status: "True", reason });
    expect(condition(plan, "Degraded")?.message).toContain("hello-abc");
    expect(condition(plan, "Ready")?.status).toBe("False");
    expect(plan.events).toContainEqual(expect.objectContaining({ type: "Warning", reason }));
    expect(plan.apply).toEqual([]);
  });

  it("reports an image problem before a crash loop", () => {
    const pods = [aPod("a", "CrashLoopBackOff"), aPod("b", "ImagePullBackOff")];
    const plan = reconcileGreeter(greeter, { ...notReady, pods }, CTX);
    expect(condition(plan, "Degraded")?.reason).toBe("ImagePullFailed");
  });

  it("looks at init containers too", () => {
    const plan = reconcileGreeter(greeter, { ...notReady, pods: [aPod("a", "ErrImagePull", "", true)] }, CTX);
    expect(condition(plan, "Degraded")?.reason).toBe("ImagePullFailed");
  });

  it("ignores pods that are just starting", () => {
    const plan = reconcileGreeter(greeter, { ...notReady, pods: [aPod("a", "ContainerCreating")] }, CTX);
    expect(condition(plan, "Degraded")?.status).toBe("False");
  });

  it("recovers with a Normal event once the pods are fine", () => {
    const failing = reconcileGreeter(greeter, { ...notReady, pods: [aPod("a", "ImagePullBackOff")] }, CTX);
    const recovered = reconcileGreeter({ ...greeter, status: failing.status }, observed, LATER_CTX);
    expect(condition(recovered, "Degraded")).toMatchObject({
      status: "False",
      lastTransitionTime: "2026-11-26T04:05:00Z",
    });
    expect(recovered.events).toContainEqual(
      expect.objectContaining({ type: "Normal", reason: "AsExpected" }),
    );
  });
});

const LATER_CTX = { ...CTX, now: LATER };

describe("name conflicts", () => {
  const { greeter, observed } = converged();

  it("never applies over a Service it does not control, and is Degraded with NameConflict", () => {
    const clash = foreign(observed.service as V1Service);
    const plan = reconcileGreeter(greeter, { ...observed, service: clash }, LATER_CTX);
    expect(kinds(plan)).not.toContain("Service");
    expect(condition(plan, "Degraded")).toMatchObject({ status: "True", reason: "NameConflict" });
    expect(condition(plan, "Degraded")?.message).toMatch(/Service demo\/hello already exists/);
    expect(condition(plan, "Ready")).toMatchObject({ status: "False", reason: "NameConflict" });
    expect(plan.events).toContainEqual(expect.objectContaining({ type: "Warning", reason: "NameConflict" }));
  });

  it("treats a Deployment controlled by another Greeter of the same name (old uid) as a conflict", () => {
    const clash = foreign(observed.deployment as V1Deployment, {
      kind: "Greeter",
      name: "hello",
      uid: "old-uid",
    });
    const plan = reconcileGreeter(greeter, { ...observed, deployment: clash }, CTX);
    expect(kinds(plan)).not.toContain("Deployment");
    expect(condition(plan, "Degraded")?.message).toMatch(/Deployment demo\/hello .*old-uid/);
  });

  it("reports a foreign ServiceMonitor as a conflict but stays Ready", () => {
    const clash = foreign(observed.serviceMonitor as ServiceMonitor);
    const plan = reconcileGreeter(greeter, { ...observed, serviceMonitor: clash }, CTX);
    expect(plan.apply).toEqual([]);
    expect(condition(plan, "MonitoringReady")).toMatchObject({ status: "False", reason: "NameConflict" });
    expect(condition(plan, "Degraded")?.reason).toBe("NameConflict");
    expect(condition(plan, "Ready")?.status).toBe("True");
  });
});

describe("monitoring", () => {
  it("without the ServiceMonitor CRD: no ServiceMonitor, still Ready, MonitoringUnavailable and a Warning", () => {
    const { settled, first } = converged({}, { serviceMonitorCrdInstalled: false });
    expect(kinds(first)).toEqual(["Deployment", "Service"]);
    expect(condition(settled, "Ready")).toMatchObject({ status: "True", reason: "AllReplicasReady" });
    expect(condition(settled, "MonitoringReady")).toMatchObject({
      status: "False",
      reason: "MonitoringUnavailable",
    });
    expect(first.events).toContainEqual(
      expect.objectContaining({ type: "Warning", reason: "MonitoringUnavailable" }),
    );
  });

  it("creates the ServiceMonitor once the CRD appears", () => {
    const { greeter, observed } = converged({}, { serviceMonitorCrdInstalled: false });
    const plan = reconcileGreeter(greeter, { ...observed, serviceMonitorCrdInstalled: true }, LATER_CTX);
    expect(kinds(plan)).toEqual(["ServiceMonitor"]);
    expect(condition(plan, "MonitoringReady")).toMatchObject({
      status: "True",
      reason: "ServiceMonitorReady",
    });
  });

  it("deletes its own ServiceMonitor when monitoring is disabled", () => {
    const { greeter, observed } = converged();
    const plan = reconcileGreeter({ ...greeter, spec: { monitoring: { enabled: false } } }, observed, CTX);
    expect(plan.apply).toEqual([]);
    expect(plan.delete).toEqual([
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        namespace: "demo",
        name: "hello",
        uid: "uid-of-ServiceMonitor",
      },
    ]);
    expect(plan.events).toContainEqual(expect.objectContaining({ reason: "Deleted", action: "Delete" }));
    expect(condition(plan, "MonitoringReady")).toMatchObject({
      status: "False",
      reason: "MonitoringDisabled",
    });
  });

  it("leaves a foreign ServiceMonitor alone when monitoring is disabled", () => {
    const { greeter, observed } = converged();
    const clash = foreign(observed.serviceMonitor as ServiceMonitor);
    const plan = reconcileGreeter(
      { ...greeter, spec: { monitoring: { enabled: false } } },
      { ...observed, serviceMonitor: clash },
      CTX,
    );
    expect(plan.delete).toEqual([]);
    expect(condition(plan, "Degraded")?.status).toBe("False");
  });

  it("does not create a ServiceMonitor when disabled from the start", () => {
    const plan = reconcileGreeter(aGreeter({ monitoring: { enabled: false } }), nothingObserved(), CTX);
    expect(kinds(plan)).toEqual(["Deployment", "Service"]);
  });

  it("re-applies the ServiceMonitor when a monitoring label is removed", () => {
    const { greeter, observed } = converged({ monitoring: { labels: { release: "a", team: "b" } } });
    const plan = reconcileGreeter(
      { ...greeter, spec: { monitoring: { labels: { release: "a" } } } },
      observed,
      CTX,
    );
    expect(kinds(plan)).toEqual(["ServiceMonitor"]);
  });
});

describe("paused", () => {
  it("applies and deletes nothing, and says it is paused", () => {
    const { greeter, observed } = converged();
    const paused = {
      ...greeter,
      spec: { paused: true, greeting: "changed {name}", monitoring: { enabled: false } },
    };
    const plan = reconcileGreeter(paused, observed, CTX);
    expect(plan.apply).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(condition(plan, "Progressing")).toMatchObject({ status: "False", reason: "Paused" });
    expect(plan.events).toContainEqual(expect.objectContaining({ reason: "Paused" }));
  });

  it("creates nothing for a new paused Greeter", () => {
    const plan = reconcileGreeter(aGreeter({ paused: true }), nothingObserved(), CTX);
    expect(plan.apply).toEqual([]);
    expect(condition(plan, "Ready")?.status).toBe("False");
    expect(condition(plan, "MonitoringReady")?.reason).toBe("Paused");
  });
});

describe("invalid Greeters", () => {
  it("degrade with InvalidSpec instead of throwing, and create nothing", () => {
    const plan = reconcileGreeter(aGreeter({ greeting: "no placeholder" }), nothingObserved(), CTX);
    expect(plan.apply).toEqual([]);
    expect(condition(plan, "Degraded")).toMatchObject({ status: "True", reason: "InvalidSpec" });
    expect(condition(plan, "Degraded")?.message).toContain("{name}");
    expect(plan.events).toContainEqual(expect.objectContaining({ type: "Warning", reason: "InvalidSpec" }));
  });

  it("degrade when the name cannot name a Service", () => {
    const plan = reconcileGreeter(aGreeter({}, { name: "9lives" }), nothingObserved(), CTX);
    expect(plan.apply).toEqual([]);
    expect(condition(plan, "Degraded")?.message).toMatch(/DNS-1035/);
  });

  it("survive garbage in the spec", () => {
    const garbage = { ...aGreeter(), spec: { replicas: "many", service: 7 } as unknown as GreeterSpecInput };
    expect(() => reconcileGreeter(garbage, nothingObserved(), CTX)).not.toThrow();
  });
});

describe("a Greeter being deleted", () => {
  it("is left to the garbage collector", () => {
    const { greeter, observed } = converged();
    const deleting = { ...greeter, metadata: { ...greeter.metadata, deletionTimestamp: NOW } };
    const plan = reconcileGreeter(deleting, observed, CTX);
    expect(plan).toEqual({ apply: [], delete: [], status: greeter.status, events: [] });
  });
});

describe("condition transition times", () => {
  it("move only when a condition's status changes", () => {
    const { greeter, observed } = converged({ replicas: 2 });
    const readyAt = condition(greeter.status ?? {}, "Ready")?.lastTransitionTime;
    const base = observed.deployment as V1Deployment;
    const muchLater = { ...CTX, now: new Date("2026-11-26T04:30:00Z") };
    const oneDown = reconcileGreeter(
      greeter,
      { ...observed, deployment: withRollout(base, { ready: 1 }) },
      muchLater,
    );
    expect(readyAt).toBe("2026-11-26T04:05:00Z");
    expect(condition(oneDown, "Ready")?.lastTransitionTime).toBe("2026-11-26T04:30:00Z");
    expect(condition(oneDown, "Degraded")?.lastTransitionTime).toBe("2026-11-26T04:00:00Z");
  });
});

describe("conditions set by others", () => {
  it("are kept", () => {
    const { greeter, observed } = converged();
    const other = {
      type: "Audited",
      status: "True" as const,
      reason: "Done",
      message: "",
      lastTransitionTime: "2026-01-01T00:00:00Z",
    };
    const withOther = {
      ...greeter,
      status: { ...greeter.status, conditions: [...(greeter.status?.conditions ?? []), other] },
    };
    const plan = reconcileGreeter(withOther, observed, CTX);
    expect(plan.status.conditions).toContainEqual(other);
    expect(statusNeedsWrite(withOther.status, plan.status)).toBe(false);
  });
});

describe("a Deployment that others shape (a webhook's env var, another manager's toleration)", () => {
  const { greeter, observed, first } = converged();
  const desired = first.apply.find((o) => o.kind === "Deployment") as V1Deployment;
  /** The Deployment as the server answered our apply, with a webhook's env var that it attributes to us. */
  const shaped = structuredClone(observed.deployment as V1Deployment);
  shaped.spec?.template.spec?.containers[0]?.env?.push({ name: "INJECTED", value: "1" });
  const ours = shaped.metadata?.managedFields?.[0]?.fieldsV1 as Record<string, Record<string, unknown>>;
  ours["f:metadata"] = { ...ours["f:metadata"], "f:annotations": { "f:injected": {} } };
  if (shaped.spec?.template.spec)
    shaped.spec.template.spec.tolerations = [{ key: "theirs", operator: "Exists" }];

  it("is applied again and again without a remembered apply: the no-op check cannot tell theirs from drift", () => {
    expect(kinds(reconcileGreeter(greeter, { ...observed, deployment: shaped }, CTX))).toEqual([
      "Deployment",
    ]);
  });

  it("is left alone, and its Greeter stays Ready, while it is as our last apply left it", () => {
    const applied = { [appliedKey(desired)]: fingerprintToRemember(desired, shaped) as number };
    expect(Object.values(applied)[0]).toBeTypeOf("number");
    const plan = reconcileGreeter(
      greeter,
      { ...observed, deployment: shaped, applied },
      { ...CTX, now: LATER },
    );
    expect(plan.apply).toEqual([]);
    expect(plan.events).toEqual([]);
    expect(condition(plan, "Ready")).toMatchObject({ status: "True" });
    expect(statusNeedsWrite(greeter.status, plan.status)).toBe(false);
  });

  it("is repaired when a field of ours drifted, which moves the field to another manager", () => {
    const applied = { [appliedKey(desired)]: fingerprintToRemember(desired, shaped) as number };
    const drifted = structuredClone(shaped);
    const container = drifted.spec?.template.spec?.containers[0];
    if (container) container.image = "someone/else";
    const fields = drifted.metadata?.managedFields?.[0]?.fieldsV1 as Record<string, unknown>;
    const spec = fields["f:spec"] as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    const greeterContainer = Object.values(spec["f:template"]?.["f:spec"]?.["f:containers"] ?? {})[0];
    delete (greeterContainer as Record<string, unknown>)["f:image"];
    const plan = reconcileGreeter(greeter, { ...observed, deployment: drifted, applied }, CTX);
    expect(kinds(plan)).toEqual(["Deployment"]);
  });

  it("is applied when the spec changed since", () => {
    const applied = { [appliedKey(desired)]: fingerprintToRemember(desired, shaped) as number };
    const changed = { ...greeter, spec: { replicas: 3 }, metadata: { ...greeter.metadata, generation: 2 } };
    expect(kinds(reconcileGreeter(changed, { ...observed, deployment: shaped, applied }, CTX))).toEqual([
      "Deployment",
    ]);
  });

  it("leaves nothing to remember when the answer is what we applied", () => {
    expect(fingerprintToRemember(desired, observed.deployment as V1Deployment)).toBeUndefined();
  });
});
