// A converged operator leaves the cluster alone: over 30 s it sends no write at all, as counted by its own
// rest_client_requests_total and by the API server's audit log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localControlPlane, useTestNamespace } from "../cluster/testing.ts";
import { apply, greeterManifest } from "../support/greeters.ts";
import { OPERATOR_USER, OperatorProcess } from "../support/operator-process.ts";
import {
  waitForConverged,
  waitForNoTerminatingNamespaces,
  waitForWritesStill,
} from "../support/quiet-cluster.ts";

const IDLE_MS = 30_000;

let operator: OperatorProcess;
beforeAll(async () => {
  // This operator watches every namespace: one that an earlier file deleted is still being torn down, and
  // the operator rightly reacts to its Greeters losing their children. That is not idling.
  await waitForNoTerminatingNamespaces();
  operator = await OperatorProcess.start();
});
afterAll(async () => {
  await operator?.stop();
});
const ns = useTestNamespace("idle", "file");

describe("an idle operator", () => {
  it("makes no mutating API request once its Greeters have converged", { timeout: 180_000 }, async () => {
    await apply(ns.name, greeterManifest("a", { replicas: 2 }));
    await apply(ns.name, greeterManifest("b", { replicas: 1, monitoring: { enabled: false } }));
    await apply(ns.name, greeterManifest("c", { replicas: 0 }));
    // Converged: every status current and final (so no legitimate late write is still due), and then the
    // write count stands still (an operator that never stops writing fails here, with the counts).
    await waitForConverged(ns.name, ["a", "b", "c"]);
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
