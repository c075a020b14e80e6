import { Registry } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DefaultRateLimiter, TokenBucket } from "./rate-limiter.ts";
import { Priority, WorkQueue } from "./work-queue.ts";
import { createWorkQueueMetrics } from "./workqueue-metrics.ts";

async function drain(q: WorkQueue): Promise<string[]> {
  const out: string[] = [];
  while (q.length > 0) {
    const k = await q.get();
    if (k === undefined) break;
    out.push(k);
    q.done(k);
  }
  return out;
}

describe("WorkQueue", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("queues a key once however often it is added, in first-added order", async () => {
    const q = new WorkQueue({ name: "t" });
    for (const k of ["a", "b", "a", "c", "b", "a"]) q.add(k);
    expect(await drain(q)).toEqual(["a", "b", "c"]);
  });

  it("never hands out a key being processed; re-adds it once when done", async () => {
    const q = new WorkQueue({ name: "t" });
    q.add("a");
    const first = await q.get();
    q.add("a");
    q.add("a");
    q.add("b");
    expect(await q.get()).toBe("b");
    expect(q.length).toBe(0); // "a" waits for its worker to finish
    let second: string | undefined;
    void q.get().then((k) => {
      second = k;
    });
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(first ?? "");
    await Promise.resolve();
    expect(second).toBe("a");
    q.done("a");
    q.done("b");
    expect(q.length).toBe(0);
  });

  it("hands keys to waiting workers, and stops handing any out once shut down", async () => {
    const q = new WorkQueue({ name: "t" });
    const waiting = q.get();
    q.add("a");
    expect(await waiting).toBe("a");
    const idle = q.get();
    q.add("b");
    expect(await idle).toBe("b");
    q.add("c");
    q.shutDown();
    expect(await q.get()).toBeUndefined();
    q.add("d");
    expect(q.length).toBe(1); // "c" stays; nothing new gets in
  });

  it("hands out higher priorities first, FIFO within one priority", async () => {
    const q = new WorkQueue({ name: "t" });
    q.add("low-1", Priority.low);
    q.add("normal-1");
    q.add("high-1", Priority.high);
    q.add("low-2", Priority.low);
    q.add("normal-2");
    q.add("high-2", Priority.high);
    expect(await drain(q)).toEqual(["high-1", "high-2", "normal-1", "normal-2", "low-1", "low-2"]);
  });

  it("moves a queued key up when it is added again at a higher priority, never down", async () => {
    const q = new WorkQueue({ name: "t" });
    for (const k of ["a", "b", "c"]) q.add(k, Priority.low);
    q.add("x");
    q.add("c"); // an event for c arrives while the resync pass is queued
    q.add("x", Priority.low); // a resync pass does not push an event's key back
    expect(q.length).toBe(4);
    expect(await drain(q)).toEqual(["x", "c", "a", "b"]);
  });

  it("queues a key added while it is processed at the highest priority it was added at", async () => {
    const q = new WorkQueue({ name: "t" });
    q.add("a");
    const a = await q.get();
    q.add("a", Priority.low);
    q.add("a", Priority.high);
    q.add("b");
    q.done(a ?? "");
    expect(await drain(q)).toEqual(["a", "b"]);
  });

  it("addAfter keeps the earliest deadline for a key", async () => {
    vi.useFakeTimers();
    const q = new WorkQueue({ name: "t" });
    q.addAfter("a", 10_000);
    q.addAfter("a", 1_000);
    q.addAfter("a", 5_000);
    vi.advanceTimersByTime(999);
    expect(q.length).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.length).toBe(1);
    await drain(q);
    vi.advanceTimersByTime(20_000);
    expect(q.length).toBe(0);
  });

  it("reports controller-runtime's workqueue metrics", async () => {
    const registry = new Registry();
    let now = 0;
    const q = new WorkQueue({
      name: "greeter",
      metrics: createWorkQueueMetrics(registry, () => now),
      now: () => now,
    });
    q.add("a");
    q.add("a");
    q.add("b");
    now = 2000;
    const k = await q.get();
    now = 5000;
    const text = await registry.metrics();
    expect(text).toContain('workqueue_adds_total{name="greeter",controller="greeter"} 2');
    expect(text).toContain('workqueue_depth{name="greeter",controller="greeter"} 1');
    expect(text).toContain(
      'workqueue_longest_running_processor_seconds{name="greeter",controller="greeter"} 3',
    );
    expect(text).toContain('workqueue_queue_duration_seconds_sum{name="greeter",controller="greeter"} 2');
    q.done(k ?? "");
    q.addRateLimited("a");
    expect(await registry.metrics()).toContain(
      'workqueue_retries_total{name="greeter",controller="greeter"} 1',
    );
    q.shutDown();
  });
});

describe("DefaultRateLimiter", () => {
  const noJitter = () => 0;

  it("doubles a key's backoff on each failure, independently per key, and resets it on forget", () => {
    const rl = new DefaultRateLimiter({
      backoff: { baseMs: 5, maxMs: 1000, jitter: 0.5 },
      random: noJitter,
      burst: 1e9,
    });
    expect([1, 2, 3, 4, 5].map(() => rl.when("a"))).toEqual([5, 10, 20, 40, 80]);
    expect(rl.when("b")).toBe(5);
    expect(rl.numRequeues("a")).toBe(5);
    rl.forget("a");
    expect(rl.numRequeues("a")).toBe(0);
    expect(rl.when("a")).toBe(5);
  });

  it("caps the backoff and shortens it by at most the jitter fraction", () => {
    const rl = new DefaultRateLimiter({
      backoff: { baseMs: 5, maxMs: 1000, jitter: 0.5 },
      random: () => 1,
      burst: 1e9,
    });
    const delays = Array.from({ length: 20 }, () => rl.when("a"));
    expect(delays.at(-1)).toBe(500);
    expect(Math.max(...delays)).toBe(500);
  });

  it("lets a global token bucket slow every key once the burst is spent", () => {
    const now = 0;
    const rl = new DefaultRateLimiter({
      backoff: { baseMs: 1, maxMs: 1, jitter: 0 },
      qps: 10,
      burst: 3,
      now: () => now,
    });
    const delays = ["a", "b", "c", "d", "e"].map((k) => rl.when(k));
    expect(delays).toEqual([1, 1, 1, 100, 200]);
  });
});

describe("TokenBucket", () => {
  it("refills at its rate, up to its burst", () => {
    let now = 0;
    const bucket = new TokenBucket(2, 2, () => now);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 500]);
    now = 10_000;
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 500]);
  });
});
