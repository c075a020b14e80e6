/**
 * desiredNetworkPolicy builds the NetworkPolicy of a Greeter that opted in (spec.networkPolicy.enabled): it
 * selects exactly the Greeter's pods and admits, as kube-native NetworkPolicyPeers, greetings (the named http
 * port) from the namespaces named (by their kubernetes.io/metadata.name label), from namespaces matching
 * namespaceSelector and from ipBlocks, and scrapes (the named metrics port) from the monitoring namespaces.
 * A rule with no peers is left out, never sent with an empty `from`: an empty `from` admits every source.
 */
import type { V1LabelSelector } from "@kubernetes/client-node";
import { GREETER_METRICS_PORT_NAME, GREETER_PORT_NAME } from "../../api/v1alpha1/constants.ts";
import type { Greeter, GreeterSpec } from "../../api/v1alpha1/greeter.ts";
import { childLabels, childNames, childSelector } from "../names.ts";
import type { NetworkPolicy, NetworkPolicyPeer } from "../types.ts";
import { controllerRef } from "./owner.ts";

type IngressRule = NonNullable<NonNullable<NetworkPolicy["spec"]>["ingress"]>[number];

export const NETWORK_POLICY_API_VERSION = "networking.k8s.io/v1";
/** Set by Kubernetes on every namespace (GA in 1.22): the only portable way to select a namespace by name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export function desiredNetworkPolicy(greeter: Greeter, spec: GreeterSpec): NetworkPolicy | undefined {
  const policy = spec.networkPolicy;
  if (!policy.enabled) return undefined;
  const name = greeter.metadata.name ?? "";

  const greeters: NetworkPolicyPeer[] = [];
  if (policy.namespaces?.length) greeters.push({ namespaceSelector: byName(policy.namespaces) });
  if (policy.namespaceSelector) greeters.push({ namespaceSelector: policy.namespaceSelector });
  for (const block of policy.ipBlocks ?? []) {
    greeters.push({ ipBlock: block.except?.length ? block : { cidr: block.cidr } });
  }
  const ingress: IngressRule[] = [];
  if (greeters.length) ingress.push(rule(greeters, GREETER_PORT_NAME));
  if (policy.monitoringNamespaces.length) {
    ingress.push(
      rule([{ namespaceSelector: byName(policy.monitoringNamespaces) }], GREETER_METRICS_PORT_NAME),
    );
  }

  return {
    apiVersion: NETWORK_POLICY_API_VERSION,
    kind: "NetworkPolicy",
    metadata: {
      name: childNames(name).networkPolicy,
      namespace: greeter.metadata.namespace,
      labels: childLabels(name),
      ownerReferences: [controllerRef(greeter)],
    },
    spec: {
      podSelector: { matchLabels: childSelector(name) },
      policyTypes: ["Ingress"],
      // With no rule at all the policy denies every ingress; the field is then left out, as the server stores it.
      ...(ingress.length ? { ingress } : {}),
    },
  };
}

function byName(namespaces: readonly string[]): V1LabelSelector {
  return { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: "In", values: [...namespaces] }] };
}

function rule(from: NetworkPolicyPeer[], port: string): IngressRule {
  return { from, ports: [{ protocol: "TCP", port }] };
}
