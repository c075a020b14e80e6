/**
 * The informers and API clients the Greeter controller reads and writes through: Greeters (all of them in
 * the watched namespaces), and only our own Deployments, Services, ServiceMonitors, NetworkPolicies and Pods (label-selected
 * on LABEL_GREETER, trimmed by cache-transforms.ts). Pods are indexed by their Greeter ("namespace/name").
 */
import type { KubernetesObject, V1Deployment, V1Pod, V1Service } from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  GROUP,
  KIND,
  LABEL_GREETER,
  PLURAL,
  SERVICE_MONITOR_GROUP,
  SERVICE_MONITOR_KIND,
  SERVICE_MONITOR_PLURAL,
  VERSION,
} from "../api/v1alpha1/constants.ts";
import type { Greeter } from "../api/v1alpha1/greeter.ts";
import { Informer } from "../runtime/informer.ts";
import type { KubeClient } from "../runtime/kube-client.ts";
import { apiVersionOf, knownTypes, type ResourceType } from "../runtime/resource.ts";
import { ResourceClient } from "../runtime/resource-client.ts";
import { byLabel } from "../runtime/store.ts";
import { StringPool } from "../runtime/string-pool.ts";
import type { WatchMetrics } from "../runtime/watch-metrics.ts";
import { forChildCache, forNameCache, forPodCache } from "./cache-transforms.ts";
import type { NetworkPolicy, ServiceMonitor } from "./types.ts";

export const greeterType: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: PLURAL,
  kind: KIND,
  namespaced: true,
};

export const serviceMonitorType: ResourceType = {
  group: SERVICE_MONITOR_GROUP,
  version: "v1",
  plural: SERVICE_MONITOR_PLURAL,
  kind: SERVICE_MONITOR_KIND,
  namespaced: true,
};

export const networkPolicyType: ResourceType = {
  group: "networking.k8s.io",
  version: "v1",
  plural: "networkpolicies",
  kind: "NetworkPolicy",
  namespaced: true,
};

/** Index of the pods informer: "namespace/greeter-name". */
export const PODS_BY_GREETER = "greeter";

export type GreeterObject = Greeter & KubernetesObject;

export interface GreeterCaches {
  greeters: Informer<GreeterObject>;
  deployments: Informer<V1Deployment>;
  services: Informer<V1Service>;
  serviceMonitors: Informer<ServiceMonitor>;
  networkPolicies: Informer<NetworkPolicy>;
  pods: Informer<V1Pod>;
  /**
   * Names taken by objects of the children's kinds that are not ours (metadata only, without the greeter
   * label), by kind: with the caches above they show every name, so creating a Greeter needs no GET to find
   * a foreign object in the way, and removing that object wakes its Greeter at once.
   */
  foreign: Record<ChildKind, Informer>;
}

export type ChildKind = "Deployment" | "Service" | "ServiceMonitor" | "NetworkPolicy";

export interface GreeterClients {
  greeters: ResourceClient<GreeterObject>;
  /** The children, by kind as the Plan names them. */
  children: Record<string, ResourceClient>;
}

export function greeterCaches(
  client: KubeClient,
  opts: { watchNamespaces: readonly string[]; metrics: WatchMetrics; log: Logger },
): { caches: GreeterCaches; clients: GreeterClients } {
  const strings = new StringPool();
  const all = { namespaces: opts.watchNamespaces, metrics: opts.metrics, log: opts.log, strings };
  const ours = { ...all, labelSelector: LABEL_GREETER };
  const foreign = (type: ResourceType, name: string) =>
    new Informer(new ResourceClient(client, type, { metadataOnly: true }), {
      ...all,
      labelSelector: `!${LABEL_GREETER}`,
      transform: forNameCache({ apiVersion: apiVersionOf(type), kind: type.kind }),
      name: `${name} (names of others)`,
    });
  const greeters = new ResourceClient<GreeterObject>(client, greeterType);
  const deployments = new ResourceClient<V1Deployment>(client, knownTypes.deployments);
  const services = new ResourceClient<V1Service>(client, knownTypes.services);
  const serviceMonitors = new ResourceClient<ServiceMonitor>(client, serviceMonitorType);
  const networkPolicies = new ResourceClient<NetworkPolicy>(client, networkPolicyType);
  const caches: GreeterCaches = {
    greeters: new Informer(greeters, all),
    deployments: new Informer(deployments, { ...ours, transform: forChildCache }),
    services: new Informer(services, { ...ours, transform: forChildCache }),
    serviceMonitors: new Informer(serviceMonitors, { ...ours, transform: forChildCache }),
    networkPolicies: new Informer(networkPolicies, { ...ours, transform: forChildCache }),
    pods: new Informer(new ResourceClient<V1Pod>(client, knownTypes.pods), {
      ...ours,
      transform: forPodCache,
    }),
    foreign: {
      Deployment: foreign(knownTypes.deployments, "deployments"),
      Service: foreign(knownTypes.services, "services"),
      ServiceMonitor: foreign(serviceMonitorType, "servicemonitors"),
      NetworkPolicy: foreign(networkPolicyType, "networkpolicies"),
    },
  };
  caches.pods.store.addIndex(PODS_BY_GREETER, byLabel(LABEL_GREETER));
  return {
    caches,
    clients: {
      greeters,
      children: {
        Deployment: deployments,
        Service: services,
        ServiceMonitor: serviceMonitors,
        NetworkPolicy: networkPolicies,
      },
    },
  };
}
