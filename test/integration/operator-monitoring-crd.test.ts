// prometheus-operator is optional: without the ServiceMonitor CRD a Greeter still runs (Ready) and says why it
// is unmonitored; once the CRD is installed its ServiceMonitor appears, with no operator restart.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ControlPlane } from "../cluster/control-plane.ts";
import { eventually, localControlPlane, useTestNamespace } from "../cluster/testing.ts";
import {
  apply,
  condition,
  get,
  greeterManifest,
  waitForCondition,
  waitForReady,
} from "../support/greeters.ts";
import { OperatorProcess } from "../support/operator-process.ts";

// Installing and removing a cluster-wide CRD needs the local control plane.
const cp: ControlPlane | undefined = await localControlPlane();

describe.skipIf(!cp)("the ServiceMonitor CRD coming and going", () => {
  let operator: OperatorProcess;
  beforeAll(async () => {
    await cp?.uninstallServiceMonitorCrd();
    operator = await OperatorProcess.start();
  });
  afterAll(async () => {
    await operator?.stop();
    // Later test files expect the cluster as the global setup left it.
    await cp?.installServiceMonitorCrd();
  });
  const ns = useTestNamespace("sm", "test");
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") console.error(`operator log tail:\n${operator.logTail(40)}`);
  });

  it("runs unmonitored without the CRD and creates the ServiceMonitor once it is installed", async () => {
    await apply(ns.name, greeterManifest("web", { replicas: 1 }));
    // Ready, because monitoring is optional; the reason says why there is no ServiceMonitor.
    const unmonitored = await waitForReady(ns.name, "web");
    expect(condition(unmonitored, "MonitoringReady")).toMatchObject({
      status: "False",
      reason: "MonitoringUnavailable",
    });
    expect(condition(unmonitored, "Degraded")).toMatchObject({ status: "False" });
    expect(condition(unmonitored, "MonitoringReady")?.message).toMatch(/ServiceMonitor/);

    await cp?.installServiceMonitorCrd();
    await waitForCondition(ns.name, "web", "MonitoringReady", "True", "ServiceMonitorReady");
    const monitor = await get(ns.name, "servicemonitor", "web");
    expect(monitor?.metadata.ownerReferences?.[0]).toMatchObject({
      kind: "Greeter",
      name: "web",
      controller: true,
    });
    expect(operator.running).toBe(true);
  });

  it("reports MonitoringUnavailable when the CRD is removed, and recovers when it is back", async () => {
    await cp?.installServiceMonitorCrd();
    await apply(ns.name, greeterManifest("web", { replicas: 1 }));
    await waitForCondition(ns.name, "web", "MonitoringReady", "True", "ServiceMonitorReady");

    await cp?.uninstallServiceMonitorCrd();
    await waitForCondition(ns.name, "web", "MonitoringReady", "False", "MonitoringUnavailable");
    await waitForReady(ns.name, "web");

    await cp?.installServiceMonitorCrd();
    await waitForCondition(ns.name, "web", "MonitoringReady", "True", "ServiceMonitorReady");
    await eventually("the ServiceMonitor to be recreated", () => get(ns.name, "servicemonitor", "web"));
    expect(operator.running).toBe(true);
  });
});
