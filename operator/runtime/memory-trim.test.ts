import pino from "pino";
import { describe, expect, it } from "vitest";
import { MemoryTrim, memoryReducingGc } from "./memory-trim.ts";

const MiB = 2 ** 20;
const log = pino({ level: "silent" });

/** A process whose RSS and CPU the test sets, and which counts its GCs. */
function fakeProcess(startRss: number) {
  const state = { rss: startRss, cpuMicros: 0, now: 0, gcs: 0, rssAfterGc: startRss };
  const trim = new MemoryTrim({
    log,
    checkEveryMs: 10_000,
    growthBytes: 32 * MiB,
    minIntervalMs: 60_000,
    quietCpu: 0.05,
    rss: () => state.rss,
    cpuMicros: () => state.cpuMicros,
    now: () => state.now,
    gc: () => {
      state.gcs++;
      state.rss = state.rssAfterGc;
    },
  });
  /** Ten seconds pass, using `cpuShare` of a core. */
  const tick = (cpuShare: number) => {
    state.now += 10_000;
    state.cpuMicros += cpuShare * 10_000 * 1000;
    return trim.check();
  };
  return { state, tick };
}

describe("MemoryTrim", () => {
  it("waits for the burst to end, then trims once", () => {
    const p = fakeProcess(90 * MiB);
    p.state.now = 60_000;
    p.state.rss = 230 * MiB;
    p.state.rssAfterGc = 130 * MiB;
    expect(p.tick(0.9)).toBe(false); // still busy
    expect(p.tick(0.01)).toBe(true);
    expect(p.state.rss).toBe(130 * MiB);
    for (let i = 0; i < 20; i++) p.tick(0.01);
    expect(p.state.gcs).toBe(1); // quiet and not grown again: nothing to do
  });

  it("does not trim a process that did not grow", () => {
    const p = fakeProcess(90 * MiB);
    p.state.rss = 110 * MiB;
    for (let i = 0; i < 20; i++) p.tick(0);
    expect(p.state.gcs).toBe(0);
  });

  it("trims at most once a minute, growing from where the last trim left it", () => {
    const p = fakeProcess(90 * MiB);
    p.state.now = 60_000;
    p.state.rss = 200 * MiB;
    p.state.rssAfterGc = 120 * MiB;
    expect(p.tick(0)).toBe(true);
    p.state.rss = 200 * MiB;
    p.state.rssAfterGc = 125 * MiB;
    const trimmedAt: number[] = [];
    for (let i = 0; i < 12; i++) {
      p.state.rss = Math.max(p.state.rss, 200 * MiB);
      if (p.tick(0)) trimmedAt.push(p.state.now);
    }
    expect(trimmedAt).toEqual([130_000, 190_000]);
  });
});

describe("memoryReducingGc", () => {
  it("gives the pages of freed objects back to the operating system", () => {
    const gc = memoryReducingGc();
    gc();
    const before = process.memoryUsage.rss();
    let garbage: unknown[] | undefined = [];
    for (let i = 0; i < 1_500_000; i++) garbage.push({ i, s: `value-${i}`, list: [i, i + 1] });
    const grown = process.memoryUsage.rss();
    garbage = undefined;
    gc();
    const after = process.memoryUsage.rss();
    expect(grown - before).toBeGreaterThan(64 * MiB);
    expect(after - before).toBeLessThan((grown - before) / 2);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
