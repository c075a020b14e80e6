/**
 * The Greeters the bench creates, and the floor: a plain client that makes, for each Greeter, exactly the
 * writes the operator must make (server-side apply of the Deployment, Service and ServiceMonitor the
 * operator's own pure reconciler asks for, then one status apply) with the operator's default number of
 * workers, fed by the same creator as the operator run. Its wall time is what the API server allows.
 */
import { FIELD_MANAGER } from "../../operator/api/v1alpha1/constants.ts";
import type { Greeter } from "../../operator/api/v1alpha1/greeter.ts";
import { reconcileGreeter } from "../../operator/controller/reconcile.ts";
import { type BenchApi, pool } from "./api.ts";

export const NAMESPACES = 10;
/** The bench client creates Greeters this many at a time (a script or a GitOps sync would be similar). */
export const CREATE_CONCURRENCY = 4;
const GREETERS = "/apis/greeter.operator.dev/v1alpha1";

export function greeterKeys(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i % NAMESPACES}/g-${i}`);
}

export function namespaces(prefix: string): string[] {
  return Array.from({ length: NAMESPACES }, (_, i) => `${prefix}-${i}`);
}

export async function createNamespaces(api: BenchApi, names: string[]): Promise<void> {
  for (const ns of names) {
    await api.apply(
      `/api/v1/namespaces/${ns}`,
      { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
      "greeter-bench",
    );
  }
  // Pods are rejected until the ServiceAccount controller made the namespace's `default` account.
  for (const ns of names) {
    for (let i = 0; ; i++) {
      if ((await api.send("GET", `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200) break;
      if (i > 300) throw new Error(`no default ServiceAccount in ${ns}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export function greeterManifest(key: string, greeting: string) {
  const [namespace, name] = key.split("/") as [string, string];
  return {
    apiVersion: "greeter.operator.dev/v1alpha1",
    kind: "Greeter",
    metadata: { name, namespace },
    // One replica: fewer fake pods for kwok, the scheduler and the controller manager to churn through.
    spec: { replicas: 1, greeting, monitoring: { enabled: true } },
  };
}

/** Creates the Greeters; `onCreated` sees each as the API server returned it. */
export async function createGreeters(
  api: BenchApi,
  keys: string[],
  greeting: string,
  onCreated?: (g: Greeter) => void,
): Promise<void> {
  await pool(keys, CREATE_CONCURRENCY, async (key) => {
    const m = greeterManifest(key, greeting);
    const g = await api.json<Greeter>("POST", `${GREETERS}/namespaces/${m.metadata.namespace}/greeters`, m);
    onCreated?.(g);
  });
}

export async function patchGreeting(api: BenchApi, keys: string[], greeting: string): Promise<void> {
  await pool(keys, CREATE_CONCURRENCY, async (key) => {
    const [ns, name] = key.split("/");
    await api.json(
      "PATCH",
      `${GREETERS}/namespaces/${ns}/greeters/${name}`,
      { spec: { greeting } },
      "application/merge-patch+json",
    );
  });
}

const childPath: Record<string, (ns: string, name: string) => string> = {
  Deployment: (ns, n) => `/apis/apps/v1/namespaces/${ns}/deployments/${n}`,
  Service: (ns, n) => `/api/v1/namespaces/${ns}/services/${n}`,
  ServiceMonitor: (ns, n) => `/apis/monitoring.coreos.com/v1/namespaces/${ns}/servicemonitors/${n}`,
};

/**
 * The floor: creates the Greeters as the operator run does and, with `workers` concurrent writers, makes each
 * Greeter's four writes as soon as it exists. Resolves with the number of writes made.
 */
export async function floor(api: BenchApi, keys: string[], greeting: string, workers: number, image: string) {
  const ready: Greeter[] = [];
  const waiters: Array<() => void> = [];
  let created = false;
  let writes = 0;
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  const creating = createGreeters(api, keys, greeting, (g) => {
    ready.push(g);
    wake();
  }).finally(() => {
    created = true;
    wake();
  });
  const worker = async () => {
    for (;;) {
      const g = ready.shift();
      if (!g) {
        if (created) return;
        await new Promise<void>((r) => waiters.push(r));
        continue;
      }
      const ns = g.metadata.namespace ?? "";
      const name = g.metadata.name ?? "";
      const plan = reconcileGreeter(
        g,
        { serviceMonitorCrdInstalled: true, pods: [] },
        { defaultImage: image, now: new Date() },
      );
      for (const child of plan.apply) {
        await api.apply(childPath[child.kind ?? ""]?.(ns, name) ?? "", child, FIELD_MANAGER);
        writes++;
      }
      await api.apply(
        `${GREETERS}/namespaces/${ns}/greeters/${name}/status`,
        { apiVersion: g.apiVersion, kind: g.kind, metadata: { name, namespace: ns }, status: plan.status },
        FIELD_MANAGER,
      );
      writes++;
    }
  };
  await Promise.all([creating, ...Array.from({ length: workers }, worker)]);
  return writes;
}
