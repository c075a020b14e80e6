// The operator's PrometheusRule on the in-cluster Prometheus, provoked for real: a Greeter whose image
// crash-loops makes the operator report it Degraded, its greeter_operator_greeters gauge rises, and
// GreeterDegraded goes pending. Its `for: 10m` is longer than a test should wait, so the test loads the same
// alert with `for: 30s` beside it (same expression, from config/prometheus/alerts) and sees that copy fire.
// Every other alert of the rule stays quiet, except GreeterReplicasNotReady, which the same crash-looping
// pods rightly make pending (kube-state-metrics' view of the Deployment).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createTestNamespace, eventually, type TestNamespace } from "../cluster/testing.ts";
import { alertRules } from "../support/alert-rules.ts";
import { apply, greeterManifest, must, waitForCondition } from "../support/greeters.ts";
import { type ClusterPrometheus, clusterPrometheus, type RuleState } from "./prometheus-api.ts";

const RELEASE = { release: "kube-prometheus-stack" };
const COPY = { e2e: "short-for" };
const PROVOKED = "GreeterDegraded";
/** Alerts the crash-looping Greeter makes true; with their own `for` they are pending, not yet firing. */
const PENDING = [PROVOKED, "GreeterReplicasNotReady"];
// A new PrometheusRule reaches Prometheus through the config reloader; the rule is then evaluated every
// 30 s and must hold for 30 s, and the operator and kube-state-metrics are scraped every 30 s.
const FIRING_MS = 300_000;

function shortForCopy(namespace: string): string {
  const rule = alertRules().find((r) => r.alert === PROVOKED);
  if (!rule) throw new Error(`${PROVOKED} is not in config/prometheus/alerts`);
  return stringify({
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "greeter-degraded-short-for", namespace, labels: RELEASE },
    spec: {
      groups: [
        {
          name: "e2e-short-for",
          rules: [{ ...rule, for: "30s", labels: { ...rule.labels, ...COPY } }],
        },
      ],
    },
  });
}

/** The state of each alert of the project's rule, and of the short-`for` copy, as /api/v1/rules gives it. */
async function alertStates(
  prom: ClusterPrometheus,
): Promise<{ project: Record<string, string>; copy?: RuleState }> {
  const groups = await prom.ruleGroups();
  const project: Record<string, string> = {};
  for (const group of groups.filter((g) => g.name === "greeter-operator" || g.name === "greeter"))
    for (const rule of group.rules) project[rule.name] = rule.state;
  const copy = groups.find((g) => g.name === "e2e-short-for")?.rules.find((r) => r.name === PROVOKED);
  return { project, copy };
}

describe("the operator's alerts on the in-cluster Prometheus", () => {
  let ns: TestNamespace;
  let prom: ClusterPrometheus;
  beforeAll(async () => {
    ns = await createTestNamespace("e2e-alert");
    await must(["label", "namespace", ns.name, "pod-security.kubernetes.io/enforce=restricted"]);
    await must(["apply", "-f", "-"], ns.name, shortForCopy(ns.name));
    prom = await clusterPrometheus();
  });
  afterAll(async () => {
    await prom?.stop();
    await ns?.delete();
  });

  it("fires GreeterDegraded for a crash-looping Greeter, and keeps the other alerts quiet", async () => {
    await apply(ns.name, greeterManifest("crashing", { replicas: 1, image: "greeter-crashing:e2e" }));
    await waitForCondition(ns.name, "crashing", "Degraded", "True", "CrashLooping", 180_000);

    const quiet = alertRules()
      .map((r) => r.alert)
      .filter((a) => !PENDING.includes(a));
    let last: Awaited<ReturnType<typeof alertStates>> | undefined;
    const states = await eventually(
      `${PROVOKED} (for: 30s copy) to fire, ${PENDING.join(" and ")} to be pending`,
      async () => {
        last = await alertStates(prom);
        const pending = PENDING.every((a) => last?.project[a] === "pending");
        return last.copy?.state === "firing" && pending ? last : undefined;
      },
      FIRING_MS,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; last seen: ${JSON.stringify(last)}`);
    });

    const firing = states.copy?.alerts?.filter((a) => a.state === "firing") ?? [];
    expect(firing.map((a) => a.labels)).toEqual([
      expect.objectContaining({
        alertname: PROVOKED,
        severity: "warning",
        namespace: "greeter-operator-system",
        job: "greeter-operator-metrics",
        ...COPY,
      }),
    ]);
    expect(Object.fromEntries(quiet.map((a) => [a, states.project[a]]))).toEqual(
      Object.fromEntries(quiet.map((a) => [a, "inactive"])),
    );
  });
});
