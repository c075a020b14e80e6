/** A Greeter taken from nothing to converged by the pure reconciler, with the children as the API server holds them. */
import type { V1Deployment, V1Service } from "@kubernetes/client-node";
import type { Greeter, GreeterSpecInput } from "../../api/v1alpha1/greeter.ts";
import { reconcileGreeter } from "../reconcile.ts";
import type { NetworkPolicy, ObservedChildren, ServiceMonitor } from "../types.ts";
import { aGreeter, asServerReturns, CTX, LATER, nothingObserved, rolledOut } from "./fixtures.ts";

/** Runs one reconcile from scratch and returns what the cluster would look like after it, all pods ready. */
export function converged(spec: GreeterSpecInput = {}, extra: Partial<ObservedChildren> = {}) {
  const greeter = aGreeter(spec);
  const first = reconcileGreeter(greeter, nothingObserved(extra), CTX);
  const find = (kind: string, name = greeter.metadata.name) =>
    first.apply.find((o) => o.kind === kind && o.metadata?.name === name);
  const metricsService = find("Service", `${greeter.metadata.name}-metrics`);
  const networkPolicy = find("NetworkPolicy");
  const deployment = rolledOut(asServerReturns(find("Deployment") as V1Deployment));
  const observed: ObservedChildren = {
    ...nothingObserved(extra),
    deployment,
    service: asServerReturns(find("Service") as V1Service),
    ...(metricsService ? { metricsService: asServerReturns(metricsService as V1Service) } : {}),
    ...(networkPolicy ? { networkPolicy: asServerReturns(networkPolicy as NetworkPolicy) } : {}),
    serviceMonitor: find("ServiceMonitor")
      ? asServerReturns(find("ServiceMonitor") as ServiceMonitor)
      : undefined,
  };
  const afterApply = { ...greeter, status: first.status };
  const settled = reconcileGreeter(afterApply, observed, { ...CTX, now: LATER });
  return { greeter: { ...greeter, status: settled.status } as Greeter, observed, first, settled };
}
