import { join } from "node:path";
import type { Binaries } from "./binaries.ts";
import type { Pki } from "./pki.ts";

/** Start order; stopping goes the other way. */
export const componentNames = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
] as const;
export type ComponentName = (typeof componentNames)[number];

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
}

export interface Layout {
  dir: string;
  pki: Pki;
  ports: Ports;
  kubeconfigs: Record<"controllerManager" | "scheduler" | "kwok", string>;
  auditPolicy: string;
  auditLog: string;
  kwokConfig: string;
  /**
   * Flags appended to a component's command line (a flag given twice takes the last value): a caller's tuning,
   * e.g. the operator bench's (bench/operator/cluster-tuning.ts). Kept in the layout, so restarts keep them.
   */
  extraArgs?: Partial<Record<ComponentName, string[]>>;
}

// The controllers a Greeter's life depends on: Deployments → ReplicaSets → Pods, ownerReference garbage
// collection, namespace deletion, and each namespace's `default` ServiceAccount and kube-root-ca.crt
// (the ServiceAccount admission plugin rejects Pods until the account exists). Node lifecycle is left
// out on purpose: kwok sends no heartbeats, so it would mark the fake Nodes NotReady and evict every Pod.
// The ResourceQuota controller fills in each quota's status, without which the API server enforces none.
export const controllers = [
  "garbage-collector-controller",
  "deployment-controller",
  "replicaset-controller",
  "namespace-controller",
  "serviceaccount-controller",
  "root-ca-certificate-publisher-controller",
  "endpointslice-controller",
  "disruption-controller",
  "resourcequota-controller",
];

export function commandLine(
  name: ComponentName,
  bin: Binaries,
  l: Layout,
): { binary: string; args: string[] } {
  const { binary, args } = baseCommandLine(name, bin, l);
  return { binary, args: [...args, ...(l.extraArgs?.[name] ?? [])] };
}

function baseCommandLine(name: ComponentName, bin: Binaries, l: Layout): { binary: string; args: string[] } {
  const loopback = "127.0.0.1";
  const etcdUrl = `http://${loopback}:${l.ports.etcdClient}`;
  const peerUrl = `http://${loopback}:${l.ports.etcdPeer}`;
  switch (name) {
    case "etcd":
      return {
        binary: bin.etcd,
        args: [
          "--name=default",
          `--data-dir=${join(l.dir, "etcd")}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=default=${peerUrl}`,
          // A throw-away test store: durability buys nothing and fsync costs seconds per test on slow disks.
          "--unsafe-no-fsync=true",
          "--log-level=warn",
        ],
      };
    case "kube-apiserver":
      return {
        binary: bin.kubeApiserver,
        args: [
          `--etcd-servers=${etcdUrl}`,
          `--bind-address=${loopback}`,
          // Otherwise it advertises the host's first non-loopback address.
          `--advertise-address=${loopback}`,
          `--secure-port=${l.ports.apiserver}`,
          `--cert-dir=${join(l.dir, "apiserver-certs")}`,
          `--tls-cert-file=${l.pki.servingCert}`,
          `--tls-private-key-file=${l.pki.servingKey}`,
          `--client-ca-file=${l.pki.caCert}`,
          `--service-account-issuer=https://${loopback}:${l.ports.apiserver}`,
          `--service-account-key-file=${l.pki.serviceAccountPub}`,
          `--service-account-signing-key-file=${l.pki.serviceAccountKey}`,
          "--service-cluster-ip-range=10.0.0.0/24",
          "--authorization-mode=RBAC",
          "--allow-privileged=true",
          // No real endpoints exist for the `kubernetes` Service on a loopback-only server.
          "--endpoint-reconciler-type=none",
          // It would taint every new Node not-ready until the node-lifecycle controller (not run) clears it.
          "--disable-admission-plugins=TaintNodesByCondition",
          `--audit-policy-file=${l.auditPolicy}`,
          `--audit-log-path=${l.auditLog}`,
          "--audit-log-format=json",
          "--profiling=false",
        ],
      };
    case "kube-controller-manager":
      return {
        binary: bin.kubeControllerManager,
        args: [
          `--kubeconfig=${l.kubeconfigs.controllerManager}`,
          `--authentication-kubeconfig=${l.kubeconfigs.controllerManager}`,
          `--authorization-kubeconfig=${l.kubeconfigs.controllerManager}`,
          `--bind-address=${loopback}`,
          `--secure-port=${l.ports.controllerManager}`,
          `--cert-dir=${join(l.dir, "kcm-certs")}`,
          "--leader-elect=false",
          `--controllers=${controllers.join(",")}`,
          `--root-ca-file=${l.pki.caCert}`,
          // As in real clusters, each controller acts as its own kube-system ServiceAccount, with the
          // bootstrap RBAC role made for it (and the audit log names it: ...:deployment-controller).
          "--use-service-account-credentials=true",
          "--profiling=false",
        ],
      };
    case "kube-scheduler":
      return {
        binary: bin.kubeScheduler,
        args: [
          `--kubeconfig=${l.kubeconfigs.scheduler}`,
          `--authentication-kubeconfig=${l.kubeconfigs.scheduler}`,
          `--authorization-kubeconfig=${l.kubeconfigs.scheduler}`,
          `--bind-address=${loopback}`,
          `--secure-port=${l.ports.scheduler}`,
          `--cert-dir=${join(l.dir, "scheduler-certs")}`,
          "--leader-elect=false",
          "--profiling=false",
        ],
      };
    case "kwok":
      return {
        binary: bin.kwok,
        args: [
          `--kubeconfig=${l.kubeconfigs.kwok}`,
          `--config=${l.kwokConfig}`,
          "--manage-all-nodes=false",
          "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
          // Fake pod IPs (nothing routes to them); kept apart from the Service range above.
          "--cidr=10.244.0.0/16",
          "--node-ip=10.240.0.1",
          "--node-lease-duration-seconds=0",
          `--server-address=${loopback}:${l.ports.kwok}`,
        ],
      };
  }
}
