// A converged operator leaves the cluster alone: over 30 s it sends no write at all, as counted by its own
// rest_client_requests_total and by the API server's audit log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localControlPlane, useTestNamespace } from "../cluster/testing.ts";
import { apply, greeterManifest } from "../support/greeters.ts";
import { OPERATOR_USER, OperatorProcess } from "../support/operator-process.ts";
import { waitForConverged, waitForWritesStill } from "../support/quiet-cluster.ts";

const IDLE_MS = 30_000;

const ns = useTestNamespace("idle", "file");
let operator: OperatorProcess;
beforeAll(async () => {
  // Scoped to this file's namespace: the promise under test is about the operator's own converged Greeters.
  // An all-namespace operator rightly reacts to other files' namespaces being torn down, which is not idling
  // (what that costs is measured by the controller's NamespaceTerminating unit test).
  operator = await OperatorProcess.start({ env: { WATCH_NAMESPACES: ns.name } });
});
afterAll(async () => {
  await operator?.stop();
});

describe("an idle operator", () => {
  it("makes no mutating API request once its Greeters have converged", { timeout: 180_000 }, async () => {
    await apply(ns.name, greeterManifest("a", { replicas: 2 }));
    await apply(ns.name, greeterManifest("b", { replicas: 1, monitoring: { enabled: false } }));
    await apply(ns.name, greeterManifest("c", { replicas: 0 }));
    // Every child kind: a second Service (the metrics one) and a NetworkPolicy.
    await apply(
      ns.name,
      greeterManifest("d", {
        service: { type: "NodePort" },
        networkPolicy: { enabled: true, namespaces: [ns.name] },
      }),
    );
    // Converged: every status current and final (so no legitimate late write is still due), and then the
    // write count stands still (an operator that never stops writing fails here, with the counts).
    await waitForConverged(ns.name, ["a", "b", "c", "d"]);
    const before = await waitForWritesStill(operator);
    expect(before).toBeGreaterThan(0);

    const cp = await localControlPlane();
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, IDLE_MS));

    // The audit log first, so a failure names the writes (and the operator's log says why it made them).
    if (cp) {
      const all = await cp.auditEvents();
      const writes = all
        .filter((e) => e.user.username === OPERATOR_USER && e.requestReceivedTimestamp >= since)
        .map((e) => {
          const o = e.objectRef ?? {};
          const resource = o.subresource ? `${o.resource}/${o.subresource}` : o.resource;
          return `${e.verb} ${resource} ${o.namespace ?? ""}/${o.name ?? ""} → ${e.responseStatus?.code}`;
        });
      expect(writes, `operator log:\n${operator.logTail(100)}`).toEqual([]);
      // The audit log does see the operator's writes (so an empty window means something).
      expect(all.some((e) => e.user.username === OPERATOR_USER)).toBe(true);
    }
    expect(await operator.writes(), `operator log:\n${operator.logTail(100)}`).toBe(before);
  });
});
