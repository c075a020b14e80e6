import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { getContainerRuntimeClient, type StartedTestContainer, Wait } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestNamespace,
  eventually,
  type TestNamespace,
  testKubeConfig,
  testKubeconfig,
} from "../cluster/testing.ts";
import { freePort } from "../support/free-port.ts";
import { getMetrics } from "../support/operator-metrics.ts";
import { GREETER_IMAGE, HardenedContainer, OPERATOR_IMAGE } from "./images.ts";

const GROUP = "greeter.operator.dev";
const KUBECONFIG_IN_CONTAINER = "/etc/greeter-operator/kubeconfig";

type Condition = { type: string; status: string; reason?: string };
type GreeterObject = { status?: { observedGeneration?: number; conditions?: Condition[] } };

/** A copy of the test cluster's kubeconfig that the image's user (65532) can read, as a mounted Secret would be. */
function readableKubeconfig(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "operator-image-"));
  const file = join(dir, "kubeconfig");
  copyFileSync(testKubeconfig(), file);
  if (process.getuid?.() === 0) {
    chownSync(file, 65532, 65532);
    chmodSync(file, 0o400);
  } else {
    chmodSync(file, 0o444);
  }
  chmodSync(dir, 0o755);
  return { dir, file };
}

describe("operator image against the local control plane", () => {
  let ns: TestNamespace;
  let kubeconfig: { dir: string; file: string };
  let operator: StartedTestContainer;
  let probes: string;
  let metrics: string;

  beforeAll(async () => {
    ns = await createTestNamespace("image");
    kubeconfig = readableKubeconfig();
    const [metricsPort, probePort] = [await freePort(), await freePort()];
    probes = `http://127.0.0.1:${probePort}`;
    metrics = `https://127.0.0.1:${metricsPort}/metrics`;
    operator = await new HardenedContainer(OPERATOR_IMAGE)
      .withBindMounts([{ source: kubeconfig.file, target: KUBECONFIG_IN_CONTAINER, mode: "ro" }])
      .withEnvironment({
        KUBECONFIG: KUBECONFIG_IN_CONTAINER,
        // Only this test's namespace, so it never touches what other tests on the same cluster create.
        WATCH_NAMESPACES: ns.name,
        GREETER_IMAGE,
        METRICS_ADDR: `127.0.0.1:${metricsPort}`,
        PROBE_ADDR: `127.0.0.1:${probePort}`,
        SHUTDOWN_TIMEOUT: "10s",
      })
      .withWaitStrategy(Wait.forLogMessage(/greeter-operator starting/))
      .start();
  });
  afterAll(async () => {
    if (operator) {
      const client = await getContainerRuntimeClient();
      await client.container.getById(operator.getId()).remove({ force: true });
    }
    await ns?.delete();
    if (kubeconfig) rmSync(kubeconfig.dir, { recursive: true, force: true });
  });

  it("becomes ready once its caches are synced", async () => {
    await eventually(
      "operator /readyz",
      async () => (await fetch(`${probes}/readyz`)).status === 200,
      60_000,
    );
  });

  it("serves its metrics over HTTPS with a certificate made in memory, and only to an authorized token", async () => {
    // The read-only root filesystem holds no certificate and no openssl: the pair is made at start.
    const anonymous = await getMetrics(metrics);
    expect(anonymous).toEqual({ status: 401, text: "Unauthorized\n" });
    expect((await getMetrics(metrics, "not-a-token")).status).toBe(401);
  });

  it("reconciles a Greeter into a Deployment of the greeter image, and reports it Ready", async () => {
    const custom = testKubeConfig().makeApiClient(CustomObjectsApi);
    const apps = testKubeConfig().makeApiClient(AppsV1Api);
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: "v1alpha1",
      namespace: ns.name,
      plural: "greeters",
      body: {
        apiVersion: `${GROUP}/v1alpha1`,
        kind: "Greeter",
        metadata: { name: "hello" },
        spec: { replicas: 1, greeting: "Hi, {name}", monitoring: { enabled: false } },
      },
    });

    const deployment = await eventually("the Greeter's Deployment", () =>
      apps.readNamespacedDeployment({ name: "hello", namespace: ns.name }),
    );
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(GREETER_IMAGE);

    const ready = await eventually(
      "Greeter hello Ready=True",
      async () => {
        const greeter = (await custom.getNamespacedCustomObject({
          group: GROUP,
          version: "v1alpha1",
          namespace: ns.name,
          plural: "greeters",
          name: "hello",
        })) as GreeterObject;
        const condition = greeter.status?.conditions?.find((c) => c.type === "Ready");
        return condition?.status === "True" ? condition : undefined;
      },
      120_000,
    );
    expect(ready.reason).toBe("AllReplicasReady");
  });

  it("shuts down cleanly on docker stop: exit 0 before docker has to kill it", async () => {
    await operator.stop({ timeout: 40_000, remove: false });
    const client = await getContainerRuntimeClient();
    const info = await client.container.getById(operator.getId()).inspect();
    expect(info.State.ExitCode).toBe(0);
  });
});
