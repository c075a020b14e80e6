import type { ServerResponse } from "node:http";
import type { KubernetesObject } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { KubeClient } from "./kube-client.ts";
import { knownTypes } from "./resource.ts";
import { ResourceClient } from "./resource-client.ts";
import {
  eventually,
  type FakeApiServer,
  openWatch,
  type RecordedRequest,
  sendJson,
  sendStatus,
  startFakeApiServer,
  writeEvent,
} from "./testing/fake-api-server.ts";
import { createWatchMetrics } from "./watch-metrics.ts";
import { Watcher, type WatcherOptions } from "./watcher.ts";

const pod = (name: string, rv: string): KubernetesObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "ns", resourceVersion: rv },
});

/** Records what the watcher delivered, as the store would see it. */
function recordingSink() {
  const state = new Map<string, KubernetesObject>();
  const log: string[] = [];
  return {
    state,
    log,
    replace(items: KubernetesObject[]) {
      state.clear();
      for (const i of items) state.set(i.metadata?.name ?? "", i);
      log.push(`replace ${items.map((i) => i.metadata?.name).join(",")}`);
    },
    event(type: string, obj: KubernetesObject) {
      if (type === "DELETED") state.delete(obj.metadata?.name ?? "");
      else state.set(obj.metadata?.name ?? "", obj);
      log.push(`${type} ${obj.metadata?.name}`);
    },
  };
}

const isWatch = (r: RecordedRequest) => r.url.searchParams.get("watch") === "true";

describe("Watcher", () => {
  let server: FakeApiServer | undefined;
  let watcher: Watcher | undefined;
  let client: KubeClient | undefined;
  afterEach(async () => {
    await watcher?.stop();
    await client?.close();
    await server?.close();
  });

  async function start(
    handler: (req: RecordedRequest, res: ServerResponse) => void,
    opts: WatcherOptions = {},
    registry = new Registry(),
  ) {
    server = await startFakeApiServer(handler);
    client = new KubeClient(server.kubeConfig());
    const sink = recordingSink();
    watcher = new Watcher(new ResourceClient(client, knownTypes.pods), sink, {
      namespace: "ns",
      backoff: { baseMs: 5, maxMs: 20, jitter: 0 },
      metrics: createWatchMetrics(registry, "greeter_operator"),
      ...opts,
    });
    watcher.start();
    return { sink, server, registry };
  }

  const restarts = async (registry: Registry, reason: string) =>
    (await registry.getSingleMetric("greeter_operator_watch_restarts_total")?.get())?.values.find(
      (v) => v.labels.reason === reason,
    )?.value ?? 0;

  it("lists, then watches from the list's resourceVersion with bookmarks, resuming from the last one seen", async () => {
    let watches = 0;
    const { sink, server } = await start((req, res) => {
      if (!isWatch(req))
        return sendJson(res, 200, { items: [pod("a", "x1")], metadata: { resourceVersion: "list-rv" } });
      watches++;
      openWatch(res);
      if (watches === 1) {
        writeEvent(res, "ADDED", pod("b", "opaque-2"));
        writeEvent(res, "BOOKMARK", { kind: "Pod", metadata: { resourceVersion: "bookmark-3" } });
        res.end();
      }
    });
    await eventually(() => server.requests.filter(isWatch).length >= 2, "a second watch");
    const [first, second] = server.requests.filter(isWatch);
    expect(first?.url.searchParams.get("resourceVersion")).toBe("list-rv");
    expect(first?.url.searchParams.get("allowWatchBookmarks")).toBe("true");
    expect(second?.url.searchParams.get("resourceVersion")).toBe("bookmark-3");
    expect(sink.log).toEqual(["replace a", "ADDED b"]);
    expect(watcher?.synced).toBe(true);
    expect(server.requests.filter((r) => !isWatch(r))).toHaveLength(1);
  });

  it("relists after 410 Gone, both as an ERROR event and as an HTTP answer", async () => {
    let lists = 0;
    let watches = 0;
    const { sink, server, registry } = await start((req, res) => {
      if (!isWatch(req)) {
        lists++;
        return sendJson(res, 200, {
          items: [pod(`gen${lists}`, "r")],
          metadata: { resourceVersion: `list-${lists}` },
        });
      }
      watches++;
      if (watches === 1) {
        openWatch(res);
        writeEvent(res, "ERROR", {
          kind: "Status",
          code: 410,
          reason: "Expired",
          message: "too old resource version",
        });
        return;
      }
      if (watches === 2) return sendStatus(res, 410, "Gone");
      openWatch(res);
    });
    await eventually(() => lists >= 3 && server.requests.filter(isWatch).length >= 3, "three lists");
    expect([...sink.state.keys()]).toEqual(["gen3"]);
    expect(await restarts(registry, "gone")).toBe(2);
  });

  it("restarts a silent watch, keeping its resourceVersion, and reports it as stalled", async () => {
    const { server, registry } = await start(
      (req, res) => {
        if (!isWatch(req)) return sendJson(res, 200, { items: [], metadata: { resourceVersion: "7" } });
        openWatch(res); // and then say nothing
      },
      { silenceTimeoutMs: 100 },
    );
    await eventually(() => server.requests.filter(isWatch).length >= 2, "a restarted watch");
    expect(server.requests.filter(isWatch).map((r) => r.url.searchParams.get("resourceVersion"))).toEqual(
      expect.arrayContaining(["7", "7"]),
    );
    expect(server.requests.filter((r) => !isWatch(r))).toHaveLength(1);
    expect(await restarts(registry, "stalled")).toBeGreaterThanOrEqual(1);
  });

  it("keeps a healthy watch open past the silence timeout while bookmarks keep arriving", async () => {
    let done = false;
    const { server, registry } = await start(
      (req, res) => {
        if (!isWatch(req)) return sendJson(res, 200, { items: [], metadata: { resourceVersion: "1" } });
        openWatch(res);
        if (server.requests.filter(isWatch).length > 1) return;
        let n = 0;
        const tick = setInterval(() => {
          writeEvent(res, "BOOKMARK", { kind: "Pod", metadata: { resourceVersion: `b${++n}` } });
          if (n === 50) {
            clearInterval(tick);
            res.end();
            done = true;
          }
        }, 50);
      },
      { silenceTimeoutMs: 1200 },
    );
    await eventually(() => done && server.requests.filter(isWatch).length >= 2, "the watch to end");
    expect(await restarts(registry, "stalled")).toBe(0);
    expect(server.requests.filter(isWatch)[1]?.url.searchParams.get("resourceVersion")).toBe("b50");
  });

  it("retries list and watch errors with backoff until the server recovers", async () => {
    let failures = 0;
    const { sink, registry } = await start((req, res) => {
      if (failures < 3) {
        failures++;
        return sendStatus(res, 500, "InternalError");
      }
      if (!isWatch(req))
        return sendJson(res, 200, { items: [pod("a", "1")], metadata: { resourceVersion: "1" } });
      openWatch(res);
      writeEvent(res, "MODIFIED", pod("a", "2"));
    });
    await eventually(() => sink.log.includes("MODIFIED a"), "the recovered watch's event");
    expect(await restarts(registry, "error")).toBe(3);
  });

  it("restarts after a malformed line instead of skipping it", async () => {
    let watches = 0;
    const { server } = await start((req, res) => {
      if (!isWatch(req)) return sendJson(res, 200, { items: [], metadata: { resourceVersion: "1" } });
      openWatch(res);
      if (++watches === 1) res.write("{not json\n");
    });
    await eventually(() => server.requests.filter(isWatch).length >= 2, "a restarted watch");
  });

  it("reports a resource type that is not served as absent and synced, then delivers once it appears", async () => {
    let served = false;
    const { sink } = await start(
      (req, res) => {
        if (!served)
          return sendStatus(res, 404, "NotFound", "the server could not find the requested resource");
        if (!isWatch(req))
          return sendJson(res, 200, { items: [pod("m", "1")], metadata: { resourceVersion: "1" } });
        openWatch(res);
      },
      { absentPollMs: 20 },
    );
    await eventually(() => watcher?.state === "absent", "absent state");
    expect(watcher?.synced).toBe(true);
    served = true;
    await eventually(() => sink.state.has("m"), "the object after the type appeared");
    expect(watcher?.state).toBe("watching");
  });

  it("resumes a watch the server ended normally after only bookmarks at once, without backing off", async () => {
    let watches = 0;
    const { server } = await start(
      (req, res) => {
        if (!isWatch(req)) return sendJson(res, 200, { items: [], metadata: { resourceVersion: "list-rv" } });
        watches++;
        openWatch(res);
        // An idle collection: the server's timeoutSeconds ends each watch after a bookmark.
        writeEvent(res, "BOOKMARK", { kind: "Pod", metadata: { resourceVersion: `bm-${watches}` } });
        res.end();
      },
      // Any backoff at all would stall this test.
      { backoff: { baseMs: 600_000, maxMs: 600_000, jitter: 0 } },
    );
    await eventually(() => server.requests.filter(isWatch).length >= 5, "five watches in a row");
    expect(server.requests.filter(isWatch).map((r) => r.url.searchParams.get("resourceVersion"))).toEqual(
      expect.arrayContaining(["list-rv", "bm-1", "bm-2", "bm-3"]),
    );
    expect(server.requests.filter((r) => !isWatch(r))).toHaveLength(1);
  });

  it("backs off before relisting when every watch is answered 410 Gone", async () => {
    const { server } = await start(
      (req, res) => {
        if (!isWatch(req)) return sendJson(res, 200, { items: [], metadata: { resourceVersion: "list-rv" } });
        sendStatus(res, 410, "Expired", "too old resource version");
      },
      { backoff: { baseMs: 600_000, maxMs: 600_000, jitter: 0 } },
    );
    await eventually(() => watcher?.state === "backoff", "the watcher to back off after the 410");
    expect(server.requests.filter((r) => !isWatch(r))).toHaveLength(1);
    expect(server.requests.filter(isWatch)).toHaveLength(1);
  });
});
