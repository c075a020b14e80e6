import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError } from "./api-error.ts";
import { KubeClient } from "./kube-client.ts";
import { knownTypes } from "./resource.ts";
import { ResourceClient } from "./resource-client.ts";
import { createRestClientMetrics } from "./rest-client-metrics.ts";
import {
  type FakeApiServer,
  openWatch,
  sendJson,
  sendStatus,
  startFakeApiServer,
} from "./testing/fake-api-server.ts";

describe("KubeClient", () => {
  let server: FakeApiServer | undefined;
  let client: KubeClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
  });

  it("counts every request by method and code, including watches, applies and transport failures", async () => {
    server = await startFakeApiServer((req, res) => {
      if (req.url.searchParams.get("watch") === "true") {
        openWatch(res);
        return res.end();
      }
      if (req.method === "PATCH") return sendJson(res, 200, JSON.parse(req.body));
      if (req.url.pathname.endsWith("/missing")) return sendStatus(res, 404, "NotFound");
      sendJson(res, 200, { items: [], metadata: { resourceVersion: "1" } });
    });
    const registry = new Registry();
    const metrics = createRestClientMetrics(registry);
    client = new KubeClient(server.kubeConfig(), { metrics });
    const deployments = new ResourceClient(client, knownTypes.deployments);
    await deployments.list({ namespace: "ns" });
    await deployments.apply({ metadata: { name: "d", namespace: "ns" } }, { fieldManager: "m", force: true });
    await expect(deployments.get("ns", "missing")).rejects.toMatchObject({ code: 404, reason: "NotFound" });
    const body = await client.stream(
      "/apis/apps/v1/deployments",
      { watch: true },
      new AbortController().signal,
    );
    for await (const _ of body) {
      // drain
    }
    const kc = server.kubeConfig();
    await server.close();
    server = undefined;
    const unreachable = new KubeClient(kc, { metrics });
    await expect(
      new ResourceClient(unreachable, knownTypes.deployments).get("ns", "x"),
    ).rejects.not.toBeInstanceOf(ApiError);
    await unreachable.close();

    const counts = Object.fromEntries(
      ((await registry.getSingleMetric("rest_client_requests_total")?.get())?.values ?? []).map((v) => [
        `${v.labels.method} ${v.labels.code}`,
        v.value,
      ]),
    );
    expect(counts).toEqual({ "GET 200": 2, "PATCH 200": 1, "GET 404": 1, "GET <error>": 1 });
  });

  it("server-side applies with the field manager, force, and the type's apiVersion and kind", async () => {
    server = await startFakeApiServer((req, res) => sendJson(res, 200, JSON.parse(req.body)));
    client = new KubeClient(server.kubeConfig());
    await new ResourceClient(client, knownTypes.deployments).apply(
      { metadata: { name: "web", namespace: "team" }, spec: { replicas: 2 } } as never,
      { fieldManager: "greeter-operator", force: true },
    );
    const req = server.requests[0];
    expect(req?.method).toBe("PATCH");
    expect(req?.url.pathname).toBe("/apis/apps/v1/namespaces/team/deployments/web");
    expect(req?.url.searchParams.get("fieldManager")).toBe("greeter-operator");
    expect(req?.url.searchParams.get("force")).toBe("true");
    expect(req?.headers["content-type"]).toBe("application/apply-patch+yaml");
    expect(req?.headers.authorization).toBe("Bearer test-token");
    expect(JSON.parse(req?.body ?? "")).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment" });
  });

  it("restarts a paginated list once when its continue token expired", async () => {
    let firstPages = 0;
    server = await startFakeApiServer((req, res) => {
      const cont = req.url.searchParams.get("continue");
      if (!cont) {
        firstPages++;
        return sendJson(res, 200, {
          items: [{ metadata: { name: "a" } }],
          metadata: { continue: `t${firstPages}` },
        });
      }
      if (cont === "t1") return sendStatus(res, 410, "Expired", "The provided continue parameter is too old");
      sendJson(res, 200, { items: [{ metadata: { name: "b" } }], metadata: { resourceVersion: "9" } });
    });
    client = new KubeClient(server.kubeConfig());
    const list = await new ResourceClient(client, knownTypes.pods).list();
    expect(list.items.map((i) => i.metadata?.name)).toEqual(["a", "b"]);
    expect(firstPages).toBe(2);
  });

  it("follows list pages with the continue token", async () => {
    server = await startFakeApiServer((req, res) => {
      const cont = req.url.searchParams.get("continue");
      if (!cont)
        return sendJson(res, 200, { items: [{ metadata: { name: "a" } }], metadata: { continue: "next" } });
      sendJson(res, 200, { items: [{ metadata: { name: "b" } }], metadata: { resourceVersion: "9" } });
    });
    client = new KubeClient(server.kubeConfig());
    const list = await new ResourceClient(client, knownTypes.pods).list();
    expect(list.items.map((i) => [i.kind, i.metadata?.name])).toEqual([
      ["Pod", "a"],
      ["Pod", "b"],
    ]);
    expect(list.resourceVersion).toBe("9");
  });
});
