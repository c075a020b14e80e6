import type { KubernetesObject } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { Informer } from "./informer.ts";
import { KubeClient } from "./kube-client.ts";
import { knownTypes } from "./resource.ts";
import { ResourceClient } from "./resource-client.ts";
import {
  eventually,
  type FakeApiServer,
  openWatch,
  sendJson,
  startFakeApiServer,
  writeEvent,
} from "./testing/fake-api-server.ts";

const svc = (ns: string, name: string, rv = "1"): KubernetesObject => ({
  metadata: { name, namespace: ns, resourceVersion: rv, managedFields: [{ manager: "x" }] },
});

describe("Informer", () => {
  let server: FakeApiServer | undefined;
  let informer: Informer | undefined;
  let client: KubeClient | undefined;
  afterEach(async () => {
    await informer?.stop();
    await client?.close();
    await server?.close();
  });

  it("merges several namespaces into one store; a relist in one namespace only deletes there", async () => {
    let listsOfA = 0;
    server = await startFakeApiServer((req, res) => {
      const ns = req.url.pathname.split("/")[4];
      if (req.url.searchParams.get("watch") !== "true") {
        if (ns === "a") listsOfA++;
        const items =
          ns === "a"
            ? listsOfA === 1
              ? [svc("a", "one"), svc("a", "two")]
              : [svc("a", "two")]
            : [svc("b", "x")];
        return sendJson(res, 200, { items, metadata: { resourceVersion: `${ns}${listsOfA}` } });
      }
      openWatch(res);
      if (ns === "a" && listsOfA === 1) writeEvent(res, "ERROR", { kind: "Status", code: 410 });
    });
    client = new KubeClient(server.kubeConfig());
    informer = new Informer(new ResourceClient(client, knownTypes.services), {
      namespaces: ["a", "b"],
      backoff: { baseMs: 5, maxMs: 5, jitter: 0 },
    });
    const deleted: string[] = [];
    informer.addHandlers({
      onAdd: () => {
        throw new Error("a broken handler must not stop the others");
      },
    });
    informer.addHandlers({ onDelete: (o) => deleted.push(`${o.metadata?.namespace}/${o.metadata?.name}`) });
    informer.start();
    await eventually(() => listsOfA >= 2 && informer?.store.size === 2, "the relist of namespace a");
    expect(informer.store.keys().sort()).toEqual(["a/two", "b/x"]);
    expect(deleted).toEqual(["a/one"]);
    expect(informer.hasSynced).toBe(true);
    expect(informer.isFresh()).toBe(true);
    expect(informer.store.get("b/x")?.metadata?.managedFields).toBeUndefined();
  });
});
