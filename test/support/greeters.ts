/** kubectl-level helpers for the operator integration tests: what a user would type and see. */
import { stringify } from "yaml";
import { eventually, kubectl } from "../cluster/testing.ts";

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    generation?: number;
    labels?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    deletionTimestamp?: string;
  };
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary spec fields of several kinds
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  status?: any;
}

export function greeterManifest(name: string, spec: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: "greeter.operator.dev/v1alpha1",
    kind: "Greeter",
    metadata: { name },
    spec,
  });
}

/** `kubectl apply -f -` in the namespace; throws with kubectl's output when it fails. */
export async function apply(namespace: string, manifest: string): Promise<void> {
  const res = await kubectl(["apply", "-f", "-"], { namespace, input: manifest });
  if (res.code !== 0) throw new Error(`kubectl apply failed: ${res.stderr}`);
}

/** The object, or undefined when it does not exist. */
export async function get(
  namespace: string,
  resource: string,
  name: string,
): Promise<KubeObject | undefined> {
  const res = await kubectl(["get", resource, name, "-o", "json"], { namespace });
  if (res.code !== 0) {
    if (res.stderr.includes("NotFound")) return undefined;
    throw new Error(`kubectl get ${resource} ${name}: ${res.stderr}`);
  }
  return JSON.parse(res.stdout) as KubeObject;
}

export async function list(namespace: string, resource: string, selector?: string): Promise<KubeObject[]> {
  const args = ["get", resource, "-o", "json", ...(selector ? ["-l", selector] : [])];
  const res = await kubectl(args, { namespace });
  if (res.code !== 0) throw new Error(`kubectl get ${resource}: ${res.stderr}`);
  return (JSON.parse(res.stdout) as { items: KubeObject[] }).items;
}

export async function must(args: string[], namespace?: string, input?: string): Promise<string> {
  const res = await kubectl(args, { ...(namespace ? { namespace } : {}), ...(input ? { input } : {}) });
  if (res.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${res.stderr}`);
  return res.stdout;
}

export function condition(obj: KubeObject | undefined, type: string): Condition | undefined {
  return (obj?.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);
}

/** The Greeter once its status describes its current generation and `type` has `status` (and `reason`). */
export function waitForCondition(
  namespace: string,
  name: string,
  type: string,
  status: "True" | "False",
  reason?: string,
  timeoutMs = 60_000,
): Promise<KubeObject> {
  return eventually(
    `greeter ${namespace}/${name} ${type}=${status}${reason ? ` (${reason})` : ""} at its current generation`,
    async () => {
      const g = await get(namespace, "greeter", name);
      const c = condition(g, type);
      const current = g?.status?.observedGeneration === g?.metadata.generation;
      return current && c?.status === status && (!reason || c.reason === reason) ? g : undefined;
    },
    timeoutMs,
  );
}

export const waitForReady = (namespace: string, name: string, timeoutMs?: number) =>
  waitForCondition(namespace, name, "Ready", "True", undefined, timeoutMs);

/** The env value of the greeter container of a Deployment. */
export function greetingOf(deployment: KubeObject | undefined): string | undefined {
  const containers = (deployment?.spec?.template?.spec?.containers ?? []) as {
    name: string;
    env?: { name: string; value?: string }[];
  }[];
  return containers.find((c) => c.name === "greeter")?.env?.find((e) => e.name === "GREETING")?.value;
}
