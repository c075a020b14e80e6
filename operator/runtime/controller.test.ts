import type { KubernetesObject } from "@kubernetes/client-node";
import pino from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { Action, TerminalError } from "./action.ts";
import { Controller, type EventSource, type ReconcileRequest } from "./controller.ts";
import { createControllerMetrics } from "./controller-metrics.ts";
import type { InformerHandlers } from "./informer.ts";
import { LeadershipLost } from "./leader-election.ts";
import { DefaultRateLimiter } from "./rate-limiter.ts";
import { Store } from "./store.ts";
import { eventually } from "./testing/fake-api-server.ts";
import { Priority } from "./work-queue.ts";

/** An informer stand-in fed by the test. */
class MemorySource implements EventSource {
  readonly store = new Store();
  hasSynced = true;
  readonly #handlers = new Set<InformerHandlers<KubernetesObject>>();
  addHandlers(h: InformerHandlers<KubernetesObject>) {
    this.#handlers.add(h);
    return () => this.#handlers.delete(h);
  }
  put(obj: KubernetesObject) {
    const old = this.store.set(obj);
    for (const h of this.#handlers) old ? h.onUpdate?.(old, obj) : h.onAdd?.(obj);
  }
  relist() {
    for (const h of this.#handlers) h.onRelist?.();
  }
  remove(obj: KubernetesObject) {
    this.store.delete(`${obj.metadata?.namespace}/${obj.metadata?.name}`);
    for (const h of this.#handlers) h.onDelete?.(obj);
  }
}

const widget = (name: string): KubernetesObject => ({
  apiVersion: "example.dev/v1",
  kind: "Widget",
  metadata: { name, namespace: "ns", uid: `uid-${name}` },
});
const child = (
  name: string,
  owner: string,
  apiVersion = "example.dev/v2",
  kind = "Widget",
): KubernetesObject => ({
  metadata: {
    name,
    namespace: "ns",
    ownerReferences: [{ apiVersion, kind, name: owner, uid: `uid-${owner}`, controller: true }],
  },
});

const silent = pino({ level: "silent" });
const fastRetries = () => new DefaultRateLimiter({ backoff: { baseMs: 1, maxMs: 4, jitter: 0 }, burst: 1e6 });

function setup(reconcile: (req: ReconcileRequest) => Promise<Action>, workers = 2, shutdownTimeoutMs = 50) {
  const primary = new MemorySource();
  const children = new MemorySource();
  const registry = new Registry();
  const controller = new Controller({
    name: "widget",
    log: silent,
    workers,
    rateLimiter: fastRetries,
    metrics: createControllerMetrics(registry),
    shutdownTimeoutMs,
  })
    .for(primary)
    .owns(children, { group: "example.dev", kind: "Widget" });
  const stop = new AbortController();
  const lost = new AbortController();
  const running = controller.run(reconcile, stop.signal, lost.signal);
  return { primary, children, registry, stop, lost, running };
}

/** A reconcile that runs until its signal aborts, recording that it started and the abort's reason. */
function untilAborted() {
  const state = {
    started: false,
    aborted: false,
    reason: undefined as unknown,
    reconcile: ({ signal }: ReconcileRequest) =>
      new Promise<Action>((resolve) => {
        state.started = true;
        signal.addEventListener("abort", () => {
          state.aborted = true;
          state.reason = signal.reason;
          resolve(Action.awaitChange());
        });
      }),
  };
  return state;
}

/** A reconcile recording its keys that holds the first one until `release`, so the test can queue work behind it. */
function holdingTheFirst() {
  const seen: string[] = [];
  let release = () => {};
  const first = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reconcile = async ({ key }: ReconcileRequest) => {
    seen.push(key);
    if (seen.length === 1) await first;
    return Action.awaitChange();
  };
  return { seen, reconcile, release };
}

describe("Controller", () => {
  it("reconciles existing objects on start and an owner when its child changes or goes", async () => {
    const seen: string[] = [];
    const primary = new MemorySource();
    primary.put(widget("a"));
    const children = new MemorySource();
    const stop = new AbortController();
    const running = new Controller({ name: "w", log: silent })
      .for(primary)
      .owns(children, { group: "example.dev", kind: "Widget" })
      .run(async ({ key }) => {
        seen.push(key);
        return Action.awaitChange();
      }, stop.signal);
    await eventually(() => seen.length === 1, "the initial reconcile");
    children.put(child("a-deploy", "a"));
    await eventually(() => seen.length === 2, "the reconcile for the child");
    children.put(child("foreign", "a", "other.dev/v1"));
    children.put(child("b-deploy", "b"));
    await eventually(() => seen.length === 3, "the reconcile for b");
    children.remove(child("a-deploy", "a"));
    await eventually(() => seen.length === 4, "the reconcile for the deleted child");
    stop.abort();
    await running;
    expect(seen).toEqual(["ns/a", "ns/a", "ns/b", "ns/a"]);
  });

  it("reconciles every primary object when an optional type relists (e.g. its CRD appeared)", async () => {
    const seen: string[] = [];
    const primary = new MemorySource();
    primary.put(widget("a"));
    primary.put(widget("b"));
    const monitors = new MemorySource();
    const stop = new AbortController();
    const running = new Controller({ name: "w", log: silent })
      .for(primary)
      .resyncOnRelist(monitors)
      .run(async ({ key }) => {
        seen.push(key);
        return Action.awaitChange();
      }, stop.signal);
    await eventually(() => seen.length === 2, "the initial reconciles");
    monitors.relist();
    await eventually(() => seen.length === 4, "reconciles after the relist");
    stop.abort();
    await running;
    expect(seen.slice(2).sort()).toEqual(["ns/a", "ns/b"]);
  });

  it("reconciles an object that changed during the start-up pass before the rest of that pass", async () => {
    const primary = new MemorySource();
    for (const name of ["a", "b", "c", "d"]) primary.put(widget(name));
    const children = new MemorySource();
    const stop = new AbortController();
    const { seen, reconcile, release } = holdingTheFirst();
    const running = new Controller({ name: "w", log: silent })
      .for(primary)
      .owns(children, { group: "example.dev", kind: "Widget" })
      .run(reconcile, stop.signal);
    await eventually(() => seen.length === 1, "the first reconcile of the start-up pass");
    primary.put({ ...widget("d"), spec: { changed: true } } as KubernetesObject);
    children.put(child("c-deploy", "c"));
    release();
    await eventually(() => seen.length === 4, "the rest");
    stop.abort();
    await running;
    expect(seen).toEqual(["ns/a", "ns/d", "ns/c", "ns/b"]);
  });

  it("reconciles keys of a source given a higher priority before the primary's own events", async () => {
    const primary = new MemorySource();
    const children = new MemorySource();
    const stop = new AbortController();
    const { seen, reconcile, release } = holdingTheFirst();
    const running = new Controller({ name: "w", log: silent })
      .for(primary)
      .owns(children, { group: "example.dev", kind: "Widget" }, { priority: Priority.high })
      .run(reconcile, stop.signal);
    primary.put(widget("a"));
    await eventually(() => seen.length === 1, "the reconcile of a");
    primary.put(widget("b"));
    primary.put(widget("c"));
    children.put(child("z-deploy", "z"));
    release();
    await eventually(() => seen.length === 4, "the rest");
    stop.abort();
    await running;
    expect(seen).toEqual(["ns/a", "ns/z", "ns/b", "ns/c"]);
  });

  it("never reconciles one key concurrently, even with many workers and many events", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let calls = 0;
    const { primary, stop, running } = setup(async () => {
      inFlight++;
      calls++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return Action.awaitChange();
    }, 4);
    for (let i = 0; i < 50; i++) {
      primary.put({ ...widget("a"), metadata: { ...widget("a").metadata, resourceVersion: `${i}` } });
      await new Promise((r) => setTimeout(r, 1));
    }
    await eventually(() => inFlight === 0 && calls > 1, "quiet");
    stop.abort();
    await running;
    expect(maxInFlight).toBe(1);
    expect(calls).toBeLessThan(50);
  });

  it("retries errors with backoff until success, and never retries a TerminalError", async () => {
    const attempts: Record<string, number> = {};
    const { primary, registry, stop, running } = setup(async ({ key }) => {
      attempts[key] = (attempts[key] ?? 0) + 1;
      if (key === "ns/flaky" && (attempts[key] ?? 0) < 3) throw new Error("API hiccup");
      if (key === "ns/bad") throw new TerminalError("spec can never work");
      return Action.awaitChange();
    });
    primary.put(widget("flaky"));
    primary.put(widget("bad"));
    await eventually(() => attempts["ns/flaky"] === 3, "the flaky key to succeed");
    stop.abort();
    await running;
    expect(attempts["ns/bad"]).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_total{controller="widget",result="error"} 3');
    expect(text).toContain('controller_runtime_reconcile_total{controller="widget",result="success"} 1');
    expect(text).toContain('controller_runtime_terminal_reconcile_errors_total{controller="widget"} 1');
    expect(text).toContain('controller_runtime_max_concurrent_reconciles{controller="widget"} 2');
  });

  it("exports its error counters at 0 from the start, before any reconcile failed", async () => {
    const { registry, stop, running } = setup(async () => Action.awaitChange());
    stop.abort();
    await running;
    const text = await registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="widget"} 0');
    expect(text).toContain('controller_runtime_terminal_reconcile_errors_total{controller="widget"} 0');
    expect(text).toContain('controller_runtime_reconcile_total{controller="widget",result="error"} 0');
    expect(text).toContain('controller_runtime_active_workers{controller="widget"} 0');
  });

  it("requeues after the requested delay", async () => {
    let calls = 0;
    const { primary, stop, running } = setup(async () => {
      calls++;
      return calls < 3 ? Action.requeueAfter(5) : Action.awaitChange();
    });
    primary.put(widget("a"));
    await eventually(() => calls === 3, "three reconciles");
    stop.abort();
    await running;
  });

  it("on stop, lets an in-flight reconcile finish, then stops taking work", async () => {
    let release: () => void = () => {};
    let finished = false;
    const started: string[] = [];
    const { primary, stop, running } = setup(async ({ key }) => {
      started.push(key);
      await new Promise<void>((r) => {
        release = r;
      });
      finished = true;
      return Action.awaitChange();
    }, 1);
    primary.put(widget("a"));
    await eventually(() => started.length === 1, "the first reconcile");
    primary.put(widget("b"));
    stop.abort();
    release();
    await running;
    expect(finished).toBe(true);
    expect(started).toEqual(["ns/a"]);
  });

  it("aborts a reconcile still running after the shutdown timeout", async () => {
    const stuck = untilAborted();
    const { primary, stop, running } = setup(stuck.reconcile);
    primary.put(widget("stuck"));
    await eventually(() => stuck.started, "the reconcile to start");
    stop.abort();
    await running;
    expect(stuck.aborted).toBe(true);
  });

  it("on losing leadership, aborts reconciles in flight at once instead of letting them finish", async () => {
    const busy = untilAborted();
    // A shutdown timeout far beyond the test's own: only an immediate abort lets run() return in time.
    const { primary, stop, running } = setup(busy.reconcile, 2, 600_000);
    primary.put(widget("busy"));
    await eventually(() => busy.started, "the reconcile to start");
    stop.abort(new LeadershipLost("widget-controller"));
    await running;
    expect(busy.reason).toBeInstanceOf(LeadershipLost);
  });

  it("aborts the reconciles still draining after a stop as soon as the lease is lost", async () => {
    const busy = untilAborted();
    const { primary, stop, lost, running } = setup(busy.reconcile, 2, 600_000);
    primary.put(widget("busy"));
    await eventually(() => busy.started, "the reconcile to start");
    stop.abort();
    lost.abort(new LeadershipLost("widget-controller"));
    await running;
    expect(busy.reason).toBeInstanceOf(LeadershipLost);
  });
});
