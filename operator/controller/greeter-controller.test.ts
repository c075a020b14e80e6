// The glue against a scripted API server: what it sends for a new Greeter, that it sends nothing once
// everything matches, and how an apply failure becomes status and an Event without stopping the rest.
import type { ServerResponse } from "node:http";
import type { KubernetesObject } from "@kubernetes/client-node";
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { Greeter } from "../api/v1alpha1/greeter.ts";
import { TerminalError } from "../runtime/action.ts";
import { createControllerMetrics } from "../runtime/controller-metrics.ts";
import { EventRecorder } from "../runtime/event-recorder.ts";
import { KubeClient } from "../runtime/kube-client.ts";
import { LeadershipLost } from "../runtime/leader-election.ts";
import { knownTypes } from "../runtime/resource.ts";
import { ResourceClient } from "../runtime/resource-client.ts";
import {
  type FakeApiServer,
  type RecordedRequest,
  sendJson,
  sendStatus,
  startFakeApiServer,
} from "../runtime/testing/fake-api-server.ts";
import { createWatchMetrics } from "../runtime/watch-metrics.ts";
import { createWorkQueueMetrics } from "../runtime/workqueue-metrics.ts";
import { TRANSIENT_REPORT_AFTER_MS } from "./apply-failures.ts";
import { GreeterController } from "./greeter-controller.ts";
import { aGreeter, asServerReturns, NOW } from "./testing/fixtures.ts";

const log = pino({ level: "silent" });
const isMutation = (r: RecordedRequest) => r.method !== "GET";

describe("GreeterController.reconcile", () => {
  let server: FakeApiServer | undefined;
  let client: KubeClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
  });

  const invalid = (res: ServerResponse) =>
    sendStatus(res, 422, "Invalid", 'Deployment.apps "hello" is invalid: spec.template: bad');

  async function setup(failKinds: string[] = [], fail = invalid, clock = { now: NOW }) {
    server = await startFakeApiServer((req, res) => {
      const kind = req.url.pathname.split("/").at(-2) === "deployments" ? "Deployment" : undefined;
      if (req.method === "GET") return sendStatus(res, 404, "NotFound");
      if (req.method === "POST") return sendJson(res, 201, JSON.parse(req.body));
      if (req.method === "PATCH") {
        if (kind && failKinds.includes(kind)) return fail(res);
        return sendJson(res, 200, asServerReturns(JSON.parse(req.body)));
      }
      sendStatus(res, 405, "MethodNotAllowed");
    });
    client = new KubeClient(server.kubeConfig());
    const registry = new Registry();
    const recorder = new EventRecorder({
      events: new ResourceClient(client, knownTypes.events),
      reportingController: "greeter.operator.dev/greeter-operator",
      reportingInstance: "test",
      log,
    });
    const controller = new GreeterController({
      client,
      recorder,
      log,
      watchNamespaces: [],
      greeterImage: "greeter:0.1.0",
      workers: 1,
      resyncPeriodMs: 0,
      shutdownTimeoutMs: 1000,
      metrics: {
        watch: createWatchMetrics(registry, "greeter_operator"),
        workQueue: createWorkQueueMetrics(registry),
        controller: createControllerMetrics(registry),
      },
      now: () => clock.now,
      // These tests follow each write; coalescing progress statuses is StatusHold's (status-hold.test.ts).
      statusHoldMs: 0,
    });
    const reconcile = async (key: string) => {
      try {
        return await controller.reconcile({
          key,
          reconcileId: "r",
          log,
          signal: new AbortController().signal,
        });
      } finally {
        await recorder.flush();
      }
    };
    return { server, controller, recorder, reconcile };
  }

  /** Feeds what the API server answered back into the caches, as the watches would. */
  function observeWrites(controller: GreeterController, requests: RecordedRequest[]) {
    for (const r of requests.filter((x) => x.method === "PATCH")) {
      const body = JSON.parse(r.body) as KubernetesObject & { status?: Greeter["status"] };
      if (r.url.pathname.endsWith("/status")) {
        const g = controller.greeters.store.get("demo/hello");
        if (g) controller.greeters.store.set({ ...g, status: body.status });
        continue;
      }
      const returned = asServerReturns(body);
      if (body.kind === "Deployment") controller.deployments.store.set(returned as never);
      if (body.kind === "Service") controller.services.store.set(returned as never);
      if (body.kind === "ServiceMonitor") controller.serviceMonitors.store.set(returned as never);
      if (body.kind === "NetworkPolicy") controller.networkPolicies.store.set(returned as never);
    }
  }

  it("server-side applies each child and the status, records Events, then goes quiet", async () => {
    const { server, controller, reconcile } = await setup();
    controller.greeters.store.set(aGreeter({ replicas: 2 }) as never);
    await reconcile("demo/hello");

    // Its caches show every name (ours whole, others' as metadata): nothing to GET for a new Greeter.
    expect(server.requests.filter((r) => r.method === "GET")).toEqual([]);
    const writes = server.requests.filter(isMutation);
    const patches = writes.filter((r) => r.method === "PATCH");
    expect(patches.map((r) => r.url.pathname)).toEqual([
      "/apis/apps/v1/namespaces/demo/deployments/hello",
      "/api/v1/namespaces/demo/services/hello",
      "/apis/monitoring.coreos.com/v1/namespaces/demo/servicemonitors/hello",
      "/apis/greeter.operator.dev/v1alpha1/namespaces/demo/greeters/hello/status",
    ]);
    for (const p of patches) {
      expect(p.headers["content-type"]).toBe("application/apply-patch+yaml");
      expect(p.url.searchParams.get("fieldManager")).toBe("greeter-operator");
      expect(p.url.searchParams.get("force")).toBe("true");
    }
    const events = writes.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body));
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(["Created"]));
    expect(events[0]).toMatchObject({ regarding: { kind: "Greeter", name: "hello", namespace: "demo" } });

    // The world answers (children exist now, status written): a few rounds converge, then nothing is sent.
    let seen = 0;
    let quietRound = -1;
    for (let round = 0; round < 4 && quietRound < 0; round++) {
      observeWrites(controller, server.requests.slice(seen));
      seen = server.requests.length;
      await reconcile("demo/hello");
      if (!server.requests.slice(seen).some(isMutation)) quietRound = round;
    }
    expect(quietRound).toBeGreaterThanOrEqual(0);
  });

  it("applies an exposed Greeter's metrics Service and its NetworkPolicy too, then goes quiet", async () => {
    const { server, controller, reconcile } = await setup();
    controller.greeters.store.set(
      aGreeter({ service: { type: "LoadBalancer" }, networkPolicy: { enabled: true } }) as never,
    );
    await reconcile("demo/hello");
    expect(server.requests.filter((r) => r.method === "PATCH").map((r) => r.url.pathname)).toEqual([
      "/apis/networking.k8s.io/v1/namespaces/demo/networkpolicies/hello",
      "/apis/apps/v1/namespaces/demo/deployments/hello",
      "/api/v1/namespaces/demo/services/hello",
      "/api/v1/namespaces/demo/services/hello-metrics",
      "/apis/monitoring.coreos.com/v1/namespaces/demo/servicemonitors/hello",
      "/apis/greeter.operator.dev/v1alpha1/namespaces/demo/greeters/hello/status",
    ]);
    // Before the watches deliver anything, a second reconcile must not redo the writes (read-your-writes,
    // also for the second Service of the same kind).
    const first = server.requests.length;
    await reconcile("demo/hello");
    expect(
      server.requests
        .slice(first)
        .filter(isMutation)
        .filter((r) => r.method === "PATCH" && !r.url.pathname.endsWith("/status"))
        .map((r) => r.url.pathname),
    ).toEqual([]);

    let seen = 0;
    let quietRound = -1;
    for (let round = 0; round < 4 && quietRound < 0; round++) {
      observeWrites(controller, server.requests.slice(seen));
      seen = server.requests.length;
      await reconcile("demo/hello");
      if (!server.requests.slice(seen).some(isMutation)) quietRound = round;
    }
    expect(quietRound).toBeGreaterThanOrEqual(0);
  });

  it("leaves a foreign object with a child's name alone and reports the NameConflict", async () => {
    const { server, controller, reconcile } = await setup();
    controller.greeters.store.set(aGreeter() as never);
    controller.foreign.Service.store.set({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "hello", namespace: "demo", uid: "someone-elses" },
    });
    await reconcile("demo/hello");
    const paths = server.requests.filter(isMutation).map((r) => r.url.pathname);
    expect(paths).toContain("/apis/apps/v1/namespaces/demo/deployments/hello");
    expect(paths).not.toContain("/api/v1/namespaces/demo/services/hello");
    const status = server.requests.find((r) => r.url.pathname.endsWith("/status"));
    expect(JSON.parse(status?.body ?? "{}").status.conditions).toContainEqual(
      expect.objectContaining({ type: "Degraded", status: "True", reason: "NameConflict" }),
    );
  });

  it("takes back its own Deployment whose greeter label was removed, rather than calling it a conflict", async () => {
    const { server, controller, reconcile } = await setup();
    const greeter = aGreeter();
    controller.greeters.store.set(greeter as never);
    // Without the label it is in the cache of others' names, but its owner is still this Greeter.
    controller.foreign.Deployment.store.set({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "hello",
        namespace: "demo",
        uid: "ours",
        ownerReferences: [
          {
            apiVersion: "greeter.operator.dev/v1alpha1",
            kind: "Greeter",
            name: "hello",
            uid: greeter.metadata.uid ?? "",
            controller: true,
          },
        ],
      },
    });
    await reconcile("demo/hello");
    expect(server.requests.filter((r) => r.method === "GET").map((r) => r.url.pathname)).toEqual([
      "/apis/apps/v1/namespaces/demo/deployments/hello",
    ]);
    expect(server.requests.map((r) => `${r.method} ${r.url.pathname}`)).toContain(
      "PATCH /apis/apps/v1/namespaces/demo/deployments/hello",
    );
    const status = server.requests.find((r) => r.url.pathname.endsWith("/status"));
    expect(JSON.parse(status?.body ?? "{}").status.conditions).not.toContainEqual(
      expect.objectContaining({ reason: "NameConflict" }),
    );
  });

  it("does not redo its own writes while the caches lag behind them", async () => {
    const { server, controller, reconcile } = await setup();
    controller.greeters.store.set(aGreeter() as never);
    await reconcile("demo/hello");
    const first = server.requests.length;
    await reconcile("demo/hello"); // no watch event has reached the caches yet
    const again = server.requests.slice(first).filter(isMutation);
    expect(again.filter((r) => r.method === "PATCH" && !r.url.pathname.endsWith("/status"))).toEqual([]);
    expect(again.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body).reason)).not.toContain(
      "Created",
    );
  });

  it("turns an invalid child into Degraded status and a Warning Event, without retrying", async () => {
    const { server, controller, reconcile } = await setup(["Deployment"]);
    controller.greeters.store.set(aGreeter() as never);
    await expect(reconcile("demo/hello")).rejects.toBeInstanceOf(TerminalError);
    const status = server.requests.find((r) => r.url.pathname.endsWith("/status"));
    const conditions = JSON.parse(status?.body ?? "{}").status.conditions as Array<{
      type: string;
      status: string;
      reason: string;
    }>;
    expect(conditions).toContainEqual(
      expect.objectContaining({ type: "Degraded", status: "True", reason: "ApplyFailed" }),
    );
    const warning = server.requests.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body));
    expect(warning).toContainEqual(expect.objectContaining({ type: "Warning", reason: "ApplyFailed" }));
  });

  it("writes no status and no Event when the lease is lost while an apply is in flight", async () => {
    let applying: (() => void) | undefined;
    const inFlight = new Promise<void>((r) => {
      applying = r;
    });
    // The apply hangs, as one would while the API server is slow; the lease is lost meanwhile.
    const { server, controller, recorder } = await setup(["Deployment"], () => applying?.());
    controller.greeters.store.set(aGreeter() as never);
    const lease = new AbortController();
    const reconciling = controller.reconcile({
      key: "demo/hello",
      reconcileId: "r",
      log,
      signal: lease.signal,
    });
    await inFlight;
    lease.abort(new LeadershipLost("greeter-operator"));
    await expect(reconciling).rejects.toBeDefined();
    await recorder.flush();
    expect(server.requests.filter(isMutation).map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      "PATCH /apis/apps/v1/namespaces/demo/deployments/hello",
    ]);
  });

  it("retries a transient failure without touching the status until it has persisted, then reports it", async () => {
    const unavailable = (res: ServerResponse) =>
      sendStatus(res, 503, "ServiceUnavailable", "the server is currently unable to handle the request");
    const clock = { now: NOW };
    const { server, controller, reconcile } = await setup(["Deployment"], unavailable, clock);
    controller.greeters.store.set(aGreeter() as never);
    const reported = () =>
      server.requests.filter((r) => r.url.pathname.endsWith("/status") || r.method === "POST");
    for (const afterMs of [0, 10_000, 20_000]) {
      clock.now = new Date(NOW.getTime() + afterMs);
      const attempt = reconcile("demo/hello");
      await expect(attempt).rejects.toThrow(/503/);
      await expect(attempt).rejects.not.toBeInstanceOf(TerminalError);
    }
    expect(reported()).toEqual([]);
    clock.now = new Date(NOW.getTime() + TRANSIENT_REPORT_AFTER_MS);
    await expect(reconcile("demo/hello")).rejects.toThrow(/503/);
    const status = reported().find((r) => r.url.pathname.endsWith("/status"));
    expect(JSON.parse(status?.body ?? "{}").status.conditions).toContainEqual(
      expect.objectContaining({ type: "Degraded", status: "True", reason: "ApplyFailed" }),
    );
  });

  it("keeps retrying a refusal caused outside the Greeter (a NodePort already allocated), reporting it at once", async () => {
    const allocated = (res: ServerResponse) =>
      sendJson(res, 422, {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        code: 422,
        reason: "Invalid",
        message:
          'Service "hello" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
        details: {
          name: "hello",
          kind: "Service",
          causes: [
            {
              reason: "FieldValueInvalid",
              message: "Invalid value: 30080: provided port is already allocated",
              field: "spec.ports[0].nodePort",
            },
          ],
        },
      });
    const { server, controller, reconcile } = await setup(["Deployment"], allocated);
    controller.greeters.store.set(aGreeter() as never);
    const attempt = reconcile("demo/hello");
    await expect(attempt).rejects.toThrow(/already allocated/);
    await expect(attempt).rejects.not.toBeInstanceOf(TerminalError);
    expect(server.requests.some((r) => r.url.pathname.endsWith("/status"))).toBe(true);
  });

  it("leaves a Greeter whose namespace is being deleted alone: one refused apply, no status, Event or retry", async () => {
    // What the API server's NamespaceLifecycle admission answers while the namespace controller deletes the
    // children before the Greeter itself.
    const terminating = (res: ServerResponse) =>
      sendJson(res, 403, {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        code: 403,
        reason: "Forbidden",
        message:
          'deployments.apps "hello" is forbidden: unable to create new content in namespace demo because it is being terminated',
        details: {
          name: "hello",
          group: "apps",
          kind: "deployments",
          causes: [
            {
              reason: "NamespaceTerminating",
              message: "namespace demo is being terminated",
              field: "metadata.namespace",
            },
          ],
        },
      });
    const { server, controller, reconcile } = await setup(["Deployment"], terminating);
    controller.greeters.store.set(aGreeter() as never);
    const action = await reconcile("demo/hello");
    expect(action.requeueAfterMs).toBeUndefined();
    expect(server.requests.filter(isMutation).map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      "PATCH /apis/apps/v1/namespaces/demo/deployments/hello",
    ]);
  });

  it("leaves a Greeter whose namespace no longer exists alone: one refused apply, no retry timer", async () => {
    // What the API server answers when the namespace is gone (Status details name the "namespaces" kind),
    // unlike a resource type that is not served, which is retried shortly.
    const noNamespace = (res: ServerResponse) =>
      sendJson(res, 404, {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        code: 404,
        reason: "NotFound",
        message: 'namespaces "demo" not found',
        details: { name: "demo", kind: "namespaces" },
      });
    const { server, controller, reconcile } = await setup(["Deployment"], noNamespace);
    controller.greeters.store.set(aGreeter() as never);
    const action = await reconcile("demo/hello");
    expect(action.requeueAfterMs).toBeUndefined();
    expect(server.requests.filter(isMutation).map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      "PATCH /apis/apps/v1/namespaces/demo/deployments/hello",
    ]);
  });

  it("still reports any other 403 on a child as Degraded (e.g. RBAC missing)", async () => {
    const forbidden = (res: ServerResponse) =>
      sendStatus(res, 403, "Forbidden", 'deployments.apps "hello" is forbidden: User cannot patch');
    const { server, controller, reconcile } = await setup(["Deployment"], forbidden);
    controller.greeters.store.set(aGreeter() as never);
    await expect(reconcile("demo/hello")).rejects.toThrow(/403/);
    expect(server.requests.some((r) => r.url.pathname.endsWith("/status"))).toBe(true);
  });

  it("does nothing for a Greeter that is gone (its children are garbage-collected)", async () => {
    const { server, reconcile } = await setup();
    await reconcile("demo/gone");
    expect(server.requests).toEqual([]);
  });

  it("counts Greeters by True condition, never by name", async () => {
    const { controller } = await setup();
    const ready = {
      type: "Ready",
      status: "True",
      reason: "AllReplicasReady",
      message: "",
      lastTransitionTime: NOW.toISOString(),
    };
    controller.greeters.store.set({ ...aGreeter(), status: { conditions: [ready] } } as never);
    controller.greeters.store.set({
      ...aGreeter({}, { name: "other" }),
      status: { conditions: [{ ...ready, status: "False" }] },
    } as never);
    expect(Object.fromEntries(controller.countByCondition())).toEqual({
      Ready: 1,
      Progressing: 0,
      Degraded: 0,
      MonitoringReady: 0,
    });
  });
});
