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

  it("keeps only the transformed objects of a page before it asks for the next one", async () => {
    // A relist of 10,000 objects per kind held as whole objects until the last page ran the operator out of heap.
    const transformedBeforePage2: string[] = [];
    const transformed: string[] = [];
    server = await startFakeApiServer((req, res) => {
      if (req.url.searchParams.get("watch") === "true") return openWatch(res);
      if (!req.url.searchParams.get("continue"))
        return sendJson(res, 200, { items: [svc("a", "one")], metadata: { continue: "page2" } });
      transformedBeforePage2.push(...transformed);
      return sendJson(res, 200, { items: [svc("a", "two")], metadata: { resourceVersion: "9" } });
    });
    client = new KubeClient(server.kubeConfig());
    informer = new Informer(new ResourceClient(client, knownTypes.services), {
      namespaces: ["a"],
      transform: (o) => {
        transformed.push(o.metadata?.name ?? "");
        return o;
      },
    });
    informer.start();
    await eventually(() => informer?.store.size === 2, "both pages listed");
    expect(transformedBeforePage2).toEqual(["one"]);
    expect(transformed).toEqual(["one", "two"]);
  });
});
