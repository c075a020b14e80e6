// A converged operator leaves the cluster alone: over 30 s it sends no write at all, as counted by its own
// rest_client_requests_total and by the API server's audit log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localControlPlane, useTestNamespace } from "../cluster/testing.ts";
import { apply, greeterManifest, waitForReady } from "../support/greeters.ts";
import { OPERATOR_USER, OperatorProcess } from "../support/operator-process.ts";

const IDLE_MS = 30_000;

let operator: OperatorProcess;
beforeAll(async () => {
  operator = await OperatorProcess.start();
});
afterAll(async () => {
  await operator?.stop();
});
const ns = useTestNamespace("idle", "file");

describe("an idle operator", () => {
  it("makes no mutating API request once its Greeters have converged", { timeout: 120_000 }, async () => {
    await apply(ns.name, greeterManifest("a", { replicas: 2 }));
    await apply(ns.name, greeterManifest("b", { replicas: 1, monitoring: { enabled: false } }));
    await apply(ns.name, greeterManifest("c", { replicas: 0 }));
    for (const name of ["a", "b", "c"]) await waitForReady(ns.name, name);
    // Converged: status written, Events recorded, and the write count has stopped moving (an operator that
    // never stops writing gets here after 20 s and fails below, with the counts).
    let before = await operator.writes();
    for (let settling = 0; settling < 10; settling++) {
      await new Promise((r) => setTimeout(r, 2000));
      const now = await operator.writes();
      if (now === before) break;
      before = now;
    }
    expect(before).toBeGreaterThan(0);

    const cp = await localControlPlane();
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, IDLE_MS));

    expect(await operator.writes()).toBe(before);
    if (cp) {
      const writes = (await cp.auditEvents()).filter(
        (e) => e.user.username === OPERATOR_USER && e.requestReceivedTimestamp >= since,
      );
      expect(writes.map((e) => `${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name}`)).toEqual([]);
      // The audit log does see the operator's writes (so an empty window means something).
      expect((await cp.auditEvents()).some((e) => e.user.username === OPERATOR_USER)).toBe(true);
    }
  });
});
