/**
 * How the bench tunes the test control plane (test/cluster) so that the cluster, not the operator, is never
 * the limit up to 10,000 Greeters (20,000 with the floor's, each with a Deployment, ReplicaSet, Pod, Service,
 * EndpointSlice and ServiceMonitor). Passed as extra flags when the control plane starts; the tests' clusters
 * keep the defaults. Each setting and what made it necessary: docs/operator-performance.md ("Cluster tuning").
 */
import { DEFAULT_GREETER_RESOURCES } from "../../operator/api/v1alpha1/default-resources.ts";
import { parseQuantity } from "../../operator/api/v1alpha1/quantity.ts";
import type { ComponentName } from "../../test/cluster/components.ts";

/**
 * kube-controller-manager and kube-scheduler ship with client-side rate limits (20 and 50 requests/s) meant to
 * protect a shared production API server. Behind every Greeter they make ~6 writes (ReplicaSet, Pod, binding,
 * status updates), so at those limits they, not the operator, set the convergence time (measured: 100 Greeters
 * took 31 s, all of it waiting for Pods). kwokctl lifts the same limits for its clusters.
 */
const UNLIMITED_CLIENT = ["--kube-api-qps=5000", "--kube-api-burst=10000"];

/**
 * etcd's default backend quota is 2 GiB, and when the database reaches it etcd refuses every write ("mvcc:
 * database space exceeded"). The API server compacts old revisions every 5 minutes, but bbolt never gives the
 * space back to the file: 10,000 Greeters, their storm and the floor's 10,000 more write ~30 revisions of
 * ~2–8 KiB per Greeter. 8 GiB is a limit, not an allocation.
 */
const ETCD_QUOTA = `--quota-backend-bytes=${8 * 2 ** 30}`;

/**
 * The test control plane's Service range is a /24 (about 250 ClusterIPs): the 251st Greeter's Service fails
 * with "range is full". A /16 holds 65,534, enough for the operator's and the floor's Services together.
 */
const SERVICE_RANGE = "--service-cluster-ip-range=10.96.0.0/16";

export const benchClusterArgs: Partial<Record<ComponentName, string[]>> = {
  etcd: [ETCD_QUOTA],
  "kube-apiserver": [SERVICE_RANGE],
  "kube-controller-manager": UNLIMITED_CLIENT,
  "kube-scheduler": UNLIMITED_CLIENT,
};

/** What kwok's node-initialize stage gives every Node (`allocatable.memory`): the scheduler fits pods into it. */
const KWOK_NODE_MEMORY_BYTES = 2 ** 40;

/**
 * kwok Nodes for N Greeters. Greeter pods request DEFAULT_GREETER_RESOURCES' memory (128Mi), so a kwok Node (1Ti)
 * holds 8,192 of them, not its 1M pod slots: the floor's 10,000 beside the operator's 10,000 left 3,000 pods
 * Pending ("Insufficient memory"), and the scheduler's retries slowed the floor itself. Room for the operator's N,
 * the floor's N and a rollout's surge pod per Greeter in the storm.
 */
export function kwokNodesFor(n: number): number {
  const { num, den } = parseQuantity(DEFAULT_GREETER_RESOURCES.requests.memory);
  const podsPerNode = Math.floor((KWOK_NODE_MEMORY_BYTES * Number(den)) / Number(num));
  return Math.max(2, Math.ceil((3 * n) / podsPerNode));
}
