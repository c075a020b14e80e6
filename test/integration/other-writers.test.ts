// Others shape the operator's children too: a mutating admission webhook adds an env var and an annotation to
// every Deployment it admits, and a second field manager adds a toleration and an env var of its own. Neither
// may make the operator patch on every resync (0 writes over an idle period with resyncs in it), and neither
// may stop it repairing what it owns (image, replicas).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventually, kubectl, localControlPlane, useTestNamespace } from "../cluster/testing.ts";
import { apply, get, greeterManifest, type KubeObject, must } from "../support/greeters.ts";
import { INJECTED_ANNOTATION, INJECTED_ENV, MutatingWebhook } from "../support/mutating-webhook.ts";
import { OPERATOR_USER, OperatorProcess } from "../support/operator-process.ts";
import { waitForConverged, waitForWritesStill } from "../support/quiet-cluster.ts";

/** The shortest resync the operator accepts, so an idle period can hold several. */
const RESYNC = "10s";
const RESYNCS_IDLE = 2;
/** The operator's default image: on a real node (the kind suite) its pods must start, so it must be there. */
const IMAGE = "greeter:0.1.0";
/**
 * The webhook is an HTTPS server in this test process, on loopback: the local control plane's API server (a
 * process on this host) reaches it, a kind node's (in its container) cannot.
 */
const local = (await localControlPlane()) !== undefined;

let operator: OperatorProcess;
/**
 * One operator per block, watching only the block's namespace: the Events of one block's drift repair may be
 * counted into a series up to 30 s later (EventRecorder), which must not land in another block's idle period.
 */
function useOperator(ns: { readonly name: string }): void {
  beforeAll(async () => {
    operator = await OperatorProcess.start({
      env: { WATCH_NAMESPACES: ns.name, RESYNC_PERIOD: RESYNC, GREETER_IMAGE: IMAGE },
    });
  });
  afterAll(async () => {
    await operator?.stop();
  });
}
afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") console.error(`operator log tail:\n${operator?.logTail(60)}`);
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
 * Waits for the Greeter to converge and the operator's writes to stand still, then through RESYNCS_IDLE
 * resyncs (each reconciles the Greeter again), and returns the operator's writes in that period as the audit
 * log names them, and as its own counter counts them. It waits on the reconcile count, not on a clock, so it
 * cannot pass without a resync.
 */
async function writesThroughResyncs(
  namespace: string,
  name: string,
): Promise<{ audit: string[]; counted: number }> {
  await waitForConverged(namespace, [name]);
  const before = await waitForWritesStill(operator);
  const since = new Date().toISOString();
  const start = await reconciles();
  await eventually(
    `${RESYNCS_IDLE} resyncs`,
    async () => (await reconciles()) >= start + RESYNCS_IDLE,
    60_000,
  );
  return { audit: await writesSince(since), counted: (await operator.writes()) - before };
}

async function expectNoWritesThroughResyncs(namespace: string, name: string): Promise<void> {
  const { audit, counted } = await writesThroughResyncs(namespace, name);
  expect(audit, `operator log:\n${operator.logTail(60)}`).toEqual([]);
  expect(counted).toBe(0);
}

/**
 * Someone edits the operator's fields directly; the operator puts them back, and then leaves the Deployment
 * alone again. The repair's Events may still be counted into their series (EventRecorder writes repeats up to
 * 30 s later), so only writes of anything else count here.
 */
async function expectDriftRepaired(namespace: string, name: string, replicas: number): Promise<KubeObject> {
  await must(["set", "image", `deployment/${name}`, "greeter=drifted:1"], namespace);
  await must(["scale", `deployment/${name}`, `--replicas=${replicas + 2}`], namespace);
  const repaired = await eventually(
    "the image and replicas to be restored",
    async () => {
      const d = await get(namespace, "deployment", name);
      return d?.spec.replicas === replicas && container(d)?.image === IMAGE ? d : undefined;
    },
    30_000,
  );
  const { audit } = await writesThroughResyncs(namespace, name);
  expect(
    audit.filter((w) => !w.startsWith("patch events ")),
    operator.logTail(60),
  ).toEqual([]);
  return repaired;
}

describe.skipIf(!local)(
  "a mutating webhook that adds an env var and an annotation to every Deployment",
  () => {
    const ns = useTestNamespace("webhook", "file");
    let webhook: MutatingWebhook;
    beforeAll(async () => {
      webhook = await MutatingWebhook.install(ns.name);
    });
    afterAll(async () => {
      await webhook?.remove();
    });
    useOperator(ns);

    it("does not make the operator patch on resync, and drift is still repaired", async () => {
      await apply(ns.name, greeterManifest("hooked", { replicas: 1 }));
      await waitForConverged(ns.name, ["hooked"]);
      const shaped = await get(ns.name, "deployment", "hooked");
      // The webhook did shape the operator's Deployment (else this test would prove nothing).
      expect(envNames(shaped)).toContain(INJECTED_ENV.name);
      expect(shaped?.metadata).toMatchObject({
        annotations: { [INJECTED_ANNOTATION.key]: INJECTED_ANNOTATION.value },
      });
      expect(webhook.admitted).toBeGreaterThan(0);

      await expectNoWritesThroughResyncs(ns.name, "hooked");

      const repaired = await expectDriftRepaired(ns.name, "hooked", 1);
      expect(envNames(repaired)).toContain(INJECTED_ENV.name);
    });
  },
);

describe("a second field manager that adds a toleration and an env var to a child Deployment", () => {
  const ns = useTestNamespace("shared", "file");
  useOperator(ns);

  it("is not fought on resync, keeps its fields, and drift in the operator's fields is still repaired", async () => {
    await apply(ns.name, greeterManifest("shared", { replicas: 1 }));
    await waitForConverged(ns.name, ["shared"]);
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
      namespace: ns.name,
      input: JSON.stringify(theirs),
    });
    expect(applied.code, applied.stderr).toBe(0);

    await expectNoWritesThroughResyncs(ns.name, "shared");
    const kept = await get(ns.name, "deployment", "shared");
    expect(kept?.spec.template.spec.tolerations).toEqual([toleration]);
    expect(envNames(kept)).toContain("ADDED_BY_OTHER");

    const repaired = await expectDriftRepaired(ns.name, "shared", 1);
    expect(repaired.spec.template.spec.tolerations).toEqual([toleration]);
    expect(envNames(repaired)).toContain("ADDED_BY_OTHER");
  });
});
