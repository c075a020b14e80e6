// The Events a user finds on a Greeter (`kubectl describe greeter`, `kubectl get events`) over a whole story:
// a spec change, a pod lost, a rollout that fails and its recovery. Each story is played reconcile by reconcile
// as GreeterController carries the plans out: child Events at once, condition-transition Events only with the
// status write they describe, which StatusHold may defer. Every story is played with every status written, and
// with StatusHold coalescing progress, since which statuses reach the API server depends on timing.
import type { V1Deployment, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { Greeter, GreeterSpec, GreeterStatus } from "../api/v1alpha1/greeter.ts";
import { coalesceChildEvents } from "./child-events.ts";
import { reconcileGreeter, statusNeedsWrite } from "./reconcile.ts";
import { StatusHold } from "./status-hold.ts";
import { converged } from "./testing/converged.ts";
import {
  aGreeter,
  aPod,
  asServerReturns,
  CTX,
  LATER,
  nothingObserved,
  withRollout,
} from "./testing/fixtures.ts";
import type { ObservedChildren } from "./types.ts";

interface Step {
  /** The Deployment's status as the Deployment controller reports it at this step; unchanged when absent. */
  rollout?: Parameters<typeof withRollout>[1];
  deadlineExceeded?: boolean;
  /** The Greeter's pods that are not plain running ones. */
  pods?: V1Pod[];
}

interface World {
  greeter: Greeter;
  observed: ObservedChildren;
}

interface Timing {
  name: string;
  hold: () => StatusHold;
  stepMs: number;
  /** How many of the clean rollout's statuses reach the API server (so the stories do see progress written). */
  cleanRolloutStatusWrites: number;
}

const TIMINGS: Timing[] = [
  { name: "every status written", hold: () => new StatusHold(0), stepMs: 1_500, cleanRolloutStatusWrites: 7 },
  {
    name: "progress held 2 s, a step every 1.5 s",
    hold: () => new StatusHold(2_000, () => clock),
    stepMs: 1_500,
    cleanRolloutStatusWrites: 3,
  },
  {
    name: "progress held 2 s, a step every 0.1 s",
    hold: () => new StatusHold(2_000, () => clock),
    stepMs: 100,
    cleanRolloutStatusWrites: 1,
  },
];
let clock = 0;

/** Plays `steps` on `world`, one reconcile each; returns the Events recorded, the statuses written and the end. */
function play(world: World, steps: Step[], timing: Timing) {
  const hold = timing.hold();
  let { greeter, observed } = world;
  const events: string[] = [];
  const written: GreeterStatus[] = [];
  for (const step of steps) {
    let deployment = observed.deployment;
    if (deployment && (step.rollout || step.deadlineExceeded !== undefined)) {
      const deadline = step.deadlineExceeded
        ? [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "timed out" }]
        : [];
      deployment = withRollout(deployment, step.rollout ?? { ready: 0 }, { conditions: deadline });
    }
    observed = { ...observed, deployment, pods: step.pods ?? [] };
    const plan = reconcileGreeter(greeter, observed, { ...CTX, now: new Date(LATER.getTime() + clock) });
    for (const applied of plan.apply) {
      if (applied.kind === "Deployment") {
        // The API server bumps the generation; the status stays as it was until the Deployment controller acts.
        const next = asServerReturns(applied as V1Deployment, (deployment?.metadata?.generation ?? 0) + 1);
        observed = { ...observed, deployment: { ...next, status: deployment?.status } };
      }
      if (applied.kind === "Service") observed = { ...observed, service: asServerReturns(applied) };
      if (applied.kind === "ServiceMonitor")
        observed = { ...observed, serviceMonitor: asServerReturns(applied) };
    }
    const write =
      statusNeedsWrite(greeter.status, plan.status) && hold.delay("demo/hello", plan.status) === 0;
    const recorded = write ? plan.events : plan.events.filter((e) => e.related);
    events.push(...coalesceChildEvents(recorded).map((e) => `${e.type} ${e.reason}: ${e.note}`));
    if (write) {
      greeter = { ...greeter, status: plan.status };
      written.push(plan.status);
    }
    clock += timing.stepMs;
  }
  return { events, written, world: { greeter, observed } };
}

function withSpec(world: World, spec: Partial<GreeterSpec>): World {
  const { greeter } = world;
  const generation = (greeter.metadata.generation ?? 0) + 1;
  return {
    ...world,
    greeter: {
      ...greeter,
      spec: { ...greeter.spec, ...spec },
      metadata: { ...greeter.metadata, generation },
    },
  };
}

const condition = (status: GreeterStatus, type: string) => status.conditions?.find((c) => c.type === type);
const reasons = (events: string[]) => events.map((e) => e.slice(0, e.indexOf(":")));

/** Two replicas rolled out to a new template: surge one new pod, then replace the second. */
const CLEAN_ROLLOUT: Step[] = [
  {},
  { rollout: { ready: 2, replicas: 2, updated: 0, observedGeneration: 1 } },
  { rollout: { ready: 2, replicas: 3, updated: 1 } },
  { rollout: { ready: 3, replicas: 3, updated: 1 } },
  { rollout: { ready: 2, replicas: 3, updated: 2 } },
  { rollout: { ready: 3, replicas: 3, updated: 2 } },
  { rollout: { ready: 2, replicas: 2, updated: 2 } },
];

const pulling = [aPod("hello-7d9f-x2x", "ImagePullBackOff", "Back-off pulling image")];
const BROKEN_ROLLOUT: Step[] = [
  {},
  { rollout: { ready: 2, replicas: 3, updated: 1 } },
  { rollout: { ready: 2, replicas: 3, updated: 1 }, pods: pulling },
  { rollout: { ready: 2, replicas: 3, updated: 1 }, pods: pulling },
  { rollout: { ready: 2, replicas: 3, updated: 1 }, pods: pulling, deadlineExceeded: true },
];

describe.each(TIMINGS)("Events, $name", (timing) => {
  const start = (): World => {
    const { greeter, observed } = converged({ replicas: 2 });
    return { greeter, observed };
  };

  it("a new Greeter: one Event naming what was created, none for becoming Ready", () => {
    const created = aGreeter({ replicas: 2 });
    const steps: Step[] = [
      {},
      {},
      { rollout: { ready: 0 } },
      { rollout: { ready: 1 } },
      { rollout: { ready: 2 } },
    ];
    const { events, written } = play({ greeter: created, observed: nothingObserved() }, steps, timing);
    expect(events).toEqual([
      "Normal Created: Created Deployment demo/hello, Service demo/hello, ServiceMonitor demo/hello",
    ]);
    expect(condition(written.at(-1) ?? {}, "Ready")).toMatchObject({ status: "True" });
  });

  it("a greeting change that rolls out cleanly: only the Deployment update", () => {
    const { events, written } = play(withSpec(start(), { greeting: "Hi, {name}" }), CLEAN_ROLLOUT, timing);
    expect(events).toEqual(["Normal Updated: Updated Deployment demo/hello"]);
    expect(written).toHaveLength(timing.cleanRolloutStatusWrites);
    // The conditions still tell the rollout: not Ready at the new generation until it is served.
    for (const status of written.slice(0, -1)) {
      expect(status.observedGeneration).toBe(2);
      expect(condition(status, "Ready")).toMatchObject({ status: "False", reason: "RolloutInProgress" });
      expect(condition(status, "Progressing")).toMatchObject({ status: "True", reason: "RolloutInProgress" });
    }
    expect(written.at(-1)).toMatchObject({ observedGeneration: 2, readyReplicas: 2 });
    expect(condition(written.at(-1) ?? {}, "Ready")).toMatchObject({
      status: "True",
      reason: "AllReplicasReady",
    });
    expect(condition(written.at(-1) ?? {}, "Progressing")).toMatchObject({ reason: "RolloutComplete" });
  });

  it("a pod lost with nothing changed: Ready going False, and True again", () => {
    const lost: Step = { rollout: { ready: 1 } };
    const { events } = play(start(), [lost, lost, lost, lost, { rollout: { ready: 2 } }], timing);
    if (timing.stepMs * 4 < 2_000) {
      // Replaced within the hold: the status never said otherwise, so there is nothing to tell.
      expect(events).toEqual([]);
      return;
    }
    expect(events).toEqual([
      "Normal ReplicasNotReady: Ready is False: 1 of 2 replicas ready",
      "Normal AllReplicasReady: Ready is True: 2 of 2 replicas ready",
    ]);
  });

  it("a rollout that ends Degraded: the update, then the bad news", () => {
    const { events, written } = play(withSpec(start(), { image: "greeter:typo" }), BROKEN_ROLLOUT, timing);
    expect(reasons(events)).toEqual([
      "Normal Updated",
      "Warning ImagePullFailed",
      // The Deployment controller gave up: the rollout is over, and its replicas are not ready.
      "Normal ReplicasNotReady",
      "Normal ProgressDeadlineExceeded",
    ]);
    expect(events[1]).toContain("hello-7d9f-x2x");
    expect(condition(written.at(-1) ?? {}, "Degraded")).toMatchObject({ status: "True" });
  });

  it("recovery by fixing the spec: the update, then Degraded going False", () => {
    const failed = play(withSpec(start(), { image: "greeter:typo" }), BROKEN_ROLLOUT, timing).world;
    const fixing: Step[] = [
      { pods: pulling },
      // Not yet seen by the Deployment controller: its ProgressDeadlineExceeded is about the broken template.
      {},
      { rollout: { ready: 2, replicas: 3, updated: 1 } },
      { rollout: { ready: 2, replicas: 3, updated: 1 } },
      { rollout: { ready: 2, replicas: 2, updated: 2 } },
    ];
    const { events, written } = play(withSpec(failed, { image: "greeter:0.1.0" }), fixing, timing);
    expect(reasons(events)).toEqual(["Normal Updated", "Normal AsExpected"]);
    expect(condition(written.at(-1) ?? {}, "Ready")).toMatchObject({ status: "True" });
  });

  it("recovery on its own (a crash loop that stops): Degraded and Ready both tell it", () => {
    const crashing: Step = { rollout: { ready: 1 }, pods: [aPod("hello-b", "CrashLoopBackOff")] };
    const { events } = play(start(), [crashing, crashing, { rollout: { ready: 2 } }], timing);
    expect(reasons(events)).toEqual([
      "Normal ReplicasNotReady",
      "Warning CrashLooping",
      "Normal AllReplicasReady",
      "Normal AsExpected",
    ]);
  });
});
