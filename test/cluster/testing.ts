// Helpers for integration tests, inside vitest workers. The cluster itself comes from global-setup.ts.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, beforeEach, inject } from "vitest";
import { ControlPlane } from "./control-plane.ts";

export function testKubeconfig(): string {
  return inject("kubeconfig");
}

export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testKubeconfig());
  return kc;
}

/**
 * The local control plane, for tests that restart components, compact etcd or read the audit log.
 * Undefined against an existing cluster (USE_EXISTING_CLUSTER=true): such tests skip themselves.
 */
export async function localControlPlane(): Promise<ControlPlane | undefined> {
  const dir = inject("controlPlaneDir");
  return dir ? ControlPlane.attach(dir) : undefined;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl against the test cluster; never throws on a non-zero exit (tests assert on it). */
export function kubectl(
  args: string[],
  opts: { input?: string; namespace?: string } = {},
): Promise<KubectlResult> {
  const full = opts.namespace ? ["--namespace", opts.namespace, ...args] : args;
  return new Promise((resolve, reject) => {
    const child = execFile(
      "kubectl",
      full,
      { env: { ...process.env, KUBECONFIG: testKubeconfig() }, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") return reject(err);
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Polls `check` until it returns a value other than undefined/false, or fails with the last state seen. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let pause = 100;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = undefined;
    } catch (err) {
      last = err;
    }
    // Quick to notice a fast change, gentle on two shared cores during a long wait.
    await sleep(pause);
    pause = Math.min(pause * 1.5, 1000);
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`,
  );
}

export interface TestNamespace {
  name: string;
  /** Deletes the namespace without waiting for its finalization. */
  delete(): Promise<void>;
}

/**
 * A fresh namespace for one test, ready for Pods (its `default` ServiceAccount exists, which the
 * ServiceAccount admission plugin requires).
 */
export async function createTestNamespace(prefix = "t"): Promise<TestNamespace> {
  const core = testKubeConfig().makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  await core.createNamespace({
    body: { metadata: { name, labels: { "greeter-operator.test/namespace": "true" } } },
  });
  await eventually(`ServiceAccount ${name}/default`, async () => {
    await core.readNamespacedServiceAccount({ name: "default", namespace: name });
    return true;
  });
  return {
    name,
    delete: async () => {
      await core.deleteNamespace({ name });
    },
  };
}

/**
 * A fresh namespace for each test (`"test"`) or one for the whole file or describe block (`"file"`), created
 * and deleted by hooks registered where this is called. Read `.name` only inside tests and hooks.
 */
export function useTestNamespace(prefix: string, per: "test" | "file"): { readonly name: string } {
  let ns: TestNamespace | undefined;
  (per === "test" ? beforeEach : beforeAll)(async () => {
    ns = await createTestNamespace(prefix);
  });
  (per === "test" ? afterEach : afterAll)(async () => {
    await ns?.delete();
    ns = undefined;
  });
  return {
    get name(): string {
      if (!ns) throw new Error("the test namespace exists only inside tests and hooks");
      return ns.name;
    },
  };
}
