// Others shape the operator's children too: a mutating admission webhook adds an env var and an annotation to
// every Deployment it admits, and a second field manager adds a toleration and an env var of its own. Neither
// may make the operator patch on every resync (0 writes over an idle period with resyncs in it), and neither
// may stop it repairing what it owns (image, replicas).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventually, kubectl, localControlPlane, useTestNamespace } from "../cluster/testing.ts";
import { apply, get, greeterManifest, type KubeObject, list, must } from "../support/greeters.ts";
import { INJECTED_ANNOTATION, INJECTED_ENV, MutatingWebhook } from "../support/mutating-webhook.ts";
import { OPERATOR_USER, OperatorProcess } from "../support/operator-process.ts";
import { waitForConverged, waitForWritesStill } from "../support/quiet-cluster.ts";

/** The shortest resync the operator accepts, so an idle period can hold several. */
const RESYNC = "10s";
const RESYNCS_IDLE = 2;
const IMAGE = "greeter:other-writers";

const hooked = useTestNamespace("webhook", "file");
const shared = useTestNamespace("shared", "file");
let webhook: MutatingWebhook;
let operator: OperatorProcess;
beforeAll(async () => {
  webhook = await MutatingWebhook.install(hooked.name);
  operator = await OperatorProcess.start({
    env: {
      WATCH_NAMESPACES: `${hooked.name},${shared.name}`,
      RESYNC_PERIOD: RESYNC,
      GREETER_IMAGE: IMAGE,
    },
  });
});
afterAll(async () => {
  await operator?.stop();
  await webhook?.remove();
});
afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") console.error(`operator log tail:\n${operator.logTail(60)}`);
});

/** Reconciles of Greeters so far, whatever their result. */
const reconciles = async () =>
  (await operator.metrics())
    .filter((s) => s.name === "controller_runtime_reconcile_total" && s.labels.controller === "greeter")
    .reduce((sum, s) => sum + s.value, 0);
const container = (d: KubeObject | undefined) => d?.spec?.template?.spec?.containers?.[0];
const envNames = (d: KubeObject | undefined) =>
  (container(d)?.env ?? []).map((e: { name: string }) => e.name) as string[];

/** The operator's writes (from its audit trail) since `since`, named for a failure message. */
async function writesSince(since: string): Promise<string[]> {
  const cp = await localControlPlane();
  if (!cp) return [];
  return (await cp.auditEvents())
    .filter((e) => e.user.username === OPERATOR_USER && e.requestReceivedTimestamp >= since)
    .map((e) => {
      const o = e.objectRef ?? {};
      const resource = o.subresource ? `${o.resource}/${o.subresource}` : o.resource;
      return `${e.verb} ${resource} ${o.namespace ?? ""}/${o.name ?? ""} → ${e.responseStatus?.code}`;
    });
}

/**
 * Converged, then idle through RESYNCS_IDLE resyncs (each reconciles every Greeter again): the operator's
 * write count must not move. Waits on the reconcile count, not on a clock, so it cannot pass without a resync.
 */
async function expectIdleThroughResyncs(namespace: string, names: string[]): Promise<void> {
  await waitForConverged(namespace, names);
  const before = await waitForWritesStill(operator);
  const since = new Date().toISOString();
  const start = await reconciles();
  // A resync reconciles every Greeter the operator watches, in both namespaces.
  const watched = (await list(hooked.name, "greeters")).length + (await list(shared.name, "greeters")).length;
  await eventually(
    `${RESYNCS_IDLE} resyncs`,
    async () => (await reconciles()) >= start + RESYNCS_IDLE * watched,
    60_000,
  );
  expect(await writesSince(since), `operator log:\n${operator.logTail(60)}`).toEqual([]);
  expect(await operator.writes()).toBe(before);
}

/** Someone edits the operator's fields directly; the operator puts them back. */
async function expectDriftRepaired(namespace: string, name: string, replicas: number): Promise<KubeObject> {
  await must(["set", "image", `deployment/${name}`, "greeter=drifted:1"], namespace);
  await must(["scale", `deployment/${name}`, `--replicas=${replicas + 2}`], namespace);
  return eventually(
    "the image and replicas to be restored",
    async () => {
      const d = await get(namespace, "deployment", name);
      return d?.spec.replicas === replicas && container(d)?.image === IMAGE ? d : undefined;
    },
    30_000,
  );
}

describe("a mutating webhook that adds an env var and an annotation to every Deployment", () => {
  it("does not make the operator patch on resync, and drift is still repaired", async () => {
    const ns = hooked.name;
    await apply(ns, greeterManifest("hooked", { replicas: 1 }));
    await waitForConverged(ns, ["hooked"]);
    const shaped = await get(ns, "deployment", "hooked");
    // The webhook did shape the operator's Deployment (else this test would prove nothing).
    expect(envNames(shaped)).toContain(INJECTED_ENV.name);
    expect(shaped?.metadata).toMatchObject({
      annotations: { [INJECTED_ANNOTATION.key]: INJECTED_ANNOTATION.value },
    });
    expect(webhook.admitted).toBeGreaterThan(0);

    await expectIdleThroughResyncs(ns, ["hooked"]);

    const repaired = await expectDriftRepaired(ns, "hooked", 1);
    expect(envNames(repaired)).toContain(INJECTED_ENV.name);
    await expectIdleThroughResyncs(ns, ["hooked"]);
  });
});

describe("a second field manager that adds a toleration and an env var to a child Deployment", () => {
  it("is not fought on resync, keeps its fields, and drift in the operator's fields is still repaired", async () => {
    const ns = shared.name;
    await apply(ns, greeterManifest("shared", { replicas: 1 }));
    await waitForConverged(ns, ["shared"]);
    const toleration = { key: "example.com/dedicated", operator: "Exists", effect: "NoSchedule" };
    const theirs = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "shared" },
      spec: {
        template: {
          spec: {
            tolerations: [toleration],
            containers: [{ name: "greeter", env: [{ name: "ADDED_BY_OTHER", value: "1" }] }],
          },
        },
      },
    };
    const applied = await kubectl(["apply", "--server-side", "--field-manager=other", "-f", "-"], {
      namespace: ns,
      input: JSON.stringify(theirs),
    });
    expect(applied.code, applied.stderr).toBe(0);

    await expectIdleThroughResyncs(ns, ["shared"]);
    const kept = await get(ns, "deployment", "shared");
    expect(kept?.spec.template.spec.tolerations).toEqual([toleration]);
    expect(envNames(kept)).toContain("ADDED_BY_OTHER");

    const repaired = await expectDriftRepaired(ns, "shared", 1);
    expect(repaired.spec.template.spec.tolerations).toEqual([toleration]);
    expect(envNames(repaired)).toContain("ADDED_BY_OTHER");
    await expectIdleThroughResyncs(ns, ["shared"]);
  });
});
