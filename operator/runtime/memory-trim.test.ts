import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import { MemoryTrim } from "./memory-trim.ts";

const MiB = 2 ** 20;
const log = pino({ level: "silent" });

/** A process whose RSS and CPU the test sets, and which counts its GCs. */
function fakeProcess(startRss: number) {
  const state = { rss: startRss, cpuMicros: 0, now: 0, gcs: 0, rssAfterGc: startRss, gcPauseMs: 0 };
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
      state.now += state.gcPauseMs;
    },
  });
  /** Ten seconds pass, using `cpuShare` of a core. */
  const tick = (cpuShare: number) => {
    state.now += 10_000;
    state.cpuMicros += cpuShare * 10_000 * 1000;
    return trim.check();
  };
  /** One second passes, busy, and RSS is compared with the soft target. */
  const second = () => {
    state.now += 1_000;
    state.cpuMicros += 1_000 * 1000;
    return trim.checkTarget();
  };
  return { state, tick, second };
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

describe("MemoryTrim after a busy spell", () => {
  it("trims at the first quiet check what the spell left, though less than the growth threshold", () => {
    const p = fakeProcess(100 * MiB);
    p.state.now = 60_000;
    p.state.rss = 112 * MiB; // 12 MiB: under the 32 MiB these tests use for growthBytes
    p.state.rssAfterGc = 101 * MiB;
    expect(p.tick(0.5)).toBe(false);
    expect(p.tick(0)).toBe(true);
    for (let i = 0; i < 20; i++) p.tick(0);
    expect(p.state.gcs).toBe(1); // idle after it: no trim without new growth past growthBytes
  });

  it("is not held back by a trim in a lull within the minute before the burst ended", () => {
    const p = fakeProcess(100 * MiB);
    p.state.now = 60_000;
    p.state.rss = 140 * MiB;
    p.state.rssAfterGc = 100 * MiB;
    expect(p.tick(0)).toBe(true); // a lull
    p.state.rss = 130 * MiB;
    expect(p.tick(0.9)).toBe(false); // the burst
    expect(p.tick(0)).toBe(true); // over, 20 s after the lull's trim
    expect(p.state.rss).toBe(100 * MiB);
  });

  it("trims once the spell ends after a trim while busy, when the busy trims' share of time allows", () => {
    const p = fakeProcess(100 * MiB);
    p.state.now = 60_000;
    p.state.rss = 160 * MiB;
    p.state.rssAfterGc = 110 * MiB;
    p.state.gcPauseMs = 1_000; // at 5%, no trim for 20 s after it
    expect(p.second()).toBe(true); // ends at 62 s
    p.state.rss = 117 * MiB; // the last work of the burst, after the busy trim
    expect(p.tick(0)).toBe(false); // 72 s
    expect(p.tick(0)).toBe(true); // 82 s
    expect(p.state.gcs).toBe(2);
  });

  it("does not trim a spell that left nothing behind, nor later for that spell", () => {
    const p = fakeProcess(100 * MiB);
    p.state.now = 60_000;
    p.state.rss = 102 * MiB;
    expect(p.tick(0.5)).toBe(false);
    expect(p.tick(0)).toBe(false);
    p.state.rss = 106 * MiB;
    for (let i = 0; i < 10; i++) expect(p.tick(0)).toBe(false);
  });
});

describe("MemoryTrim's soft target (128 MiB)", () => {
  it("trims a busy process as soon as it is past the target, then as often as 5% of the time in pauses allows", () => {
    const p = fakeProcess(90 * MiB);
    p.state.now = 60_000;
    p.state.rss = 127 * MiB;
    expect(p.second()).toBe(false);
    p.state.rss = 129 * MiB;
    p.state.rssAfterGc = 100 * MiB;
    p.state.gcPauseMs = 400; // the next busy trim may run 8 s after this one ends
    expect(p.second()).toBe(true);
    const trimmedAt: number[] = [];
    for (let i = 0; i < 30; i++) {
      p.state.rss = 160 * MiB;
      if (p.second()) trimmedAt.push(p.state.now);
    }
    // Each trim ends 0.4 s after the second it started in; the checks are one second apart.
    expect(trimmedAt).toEqual([70_800, 79_200, 87_600]);
  });

  it("waits longer after a long pause, and at least 5 s after a short one", () => {
    const p = fakeProcess(90 * MiB);
    p.state.now = 60_000;
    p.state.rss = 160 * MiB;
    p.state.rssAfterGc = 100 * MiB;
    p.state.gcPauseMs = 1_500; // 30 s before the next busy trim
    expect(p.second()).toBe(true);
    const trimmedAt: number[] = [];
    p.state.gcPauseMs = 10; // 0.2 s at 5%: the 5 s floor applies
    for (let i = 0; i < 45; i++) {
      p.state.rss = 160 * MiB;
      if (p.second()) trimmedAt.push(p.state.now);
    }
    expect(trimmedAt).toEqual([92_510, 97_520, 102_530, 107_540]);
  });

  it("does not trim over and over a process whose live data alone is past the target, until it grew again", () => {
    const p = fakeProcess(90 * MiB);
    p.state.now = 60_000;
    p.state.rss = 200 * MiB;
    p.state.rssAfterGc = 190 * MiB;
    expect(p.second()).toBe(true);
    for (let i = 0; i < 120; i++) {
      p.state.rss = 200 * MiB;
      p.second();
    }
    expect(p.state.gcs).toBe(1);
    p.state.rss = 223 * MiB; // grown by growthBytes (32 MiB here) since the trim
    expect(p.second()).toBe(true);
  });
});

describe("MemoryTrim's soft target and quiet check together", () => {
  it("still trims once the burst is over when it trimmed past the target while busy", () => {
    const p = fakeProcess(90 * MiB);
    p.state.now = 60_000;
    p.state.rss = 140 * MiB;
    p.state.rssAfterGc = 110 * MiB;
    expect(p.second()).toBe(true);
    // The burst goes on after the busy trim, then ends 20 s later, well within the minute between quiet trims.
    p.state.rss = 135 * MiB;
    p.state.rssAfterGc = 100 * MiB;
    expect(p.tick(0.9)).toBe(false);
    expect(p.state.gcs).toBe(1);
    expect(p.tick(0.01)).toBe(true);
    expect(p.state.rss).toBe(100 * MiB);
  });
});

describe("memoryReducingGc", () => {
  // Each case runs in a node of its own: whether gc() exists is fixed by the command line it starts with.
  const run = (nodeArgs: string[], script: string) =>
    JSON.parse(
      execFileSync(process.execPath, [...nodeArgs, "--input-type=module", "-e", script], {
        cwd: import.meta.dirname,
        encoding: "utf8",
      }),
    );

  it("gives the pages of freed objects back to the operating system, with --expose-gc on the command line", () => {
    const r = run(
      ["--expose-gc"],
      `
      import { memoryReducingGc } from "./memory-trim.ts";
      const gc = memoryReducingGc();
      gc();
      const before = process.memoryUsage.rss();
      let garbage = [];
      for (let i = 0; i < 1_500_000; i++) garbage.push({ i, s: "value-" + i, list: [i, i + 1] });
      const grown = process.memoryUsage.rss();
      garbage = undefined;
      gc();
      const after = process.memoryUsage.rss();
      console.log(JSON.stringify({ grown: grown - before, kept: after - before }));
      `,
    );
    expect(r.grown).toBeGreaterThan(64 * MiB);
    expect(r.kept).toBeLessThan(r.grown / 2);
  });

  it("once started, compares RSS with the target every second and looks for quiet every 10 s, on one timer", () => {
    vi.useFakeTimers();
    try {
      const state = { rss: 90 * MiB, cpuMicros: 0, gcs: 0 };
      const timersBefore = vi.getTimerCount();
      const trim = new MemoryTrim({
        log,
        rss: () => state.rss,
        cpuMicros: () => state.cpuMicros,
        now: () => Date.now(),
        gc: () => {
          state.gcs++;
          state.rss = 95 * MiB;
        },
      });
      trim.start();
      expect(vi.getTimerCount() - timersBefore).toBe(1);
      // Busy and past the target: trimmed within the second, but not before the 30 s since start.
      vi.advanceTimersByTime(30_000);
      state.cpuMicros += 30_000 * 1000;
      state.rss = 200 * MiB;
      vi.advanceTimersByTime(1_000);
      expect(state.gcs).toBe(1);
      // Quiet from then on: the first quiet check trims the 5 MiB the busy spell left above the start.
      vi.advanceTimersByTime(9_000);
      expect(state.gcs).toBe(2);
      // Idle, grown 20 MiB: the quiet check trims, within 10 s, once the minute has passed.
      vi.advanceTimersByTime(60_000);
      state.rss = 115 * MiB;
      vi.advanceTimersByTime(10_000);
      expect(state.gcs).toBe(3);
      trim.stop();
      expect(vi.getTimerCount()).toBe(timersBefore);
    } finally {
      vi.useRealTimers();
    }
  });

  it("is not there without --expose-gc, and no V8 flag is switched on at run time to get it", () => {
    const r = run(
      [],
      `
      import { memoryReducingGc, MemoryTrim } from "./memory-trim.ts";
      import pino from "pino";
      const gc = memoryReducingGc();
      const logged = [];
      const trim = new MemoryTrim({ log: pino({}, { write: (l) => logged.push(JSON.parse(l).msg) }) });
      trim.start();
      trim.stop();
      console.log(JSON.stringify({ gc: typeof gc, global: typeof globalThis.gc, logged }));
      `,
    );
    expect(r).toEqual({
      gc: "undefined",
      global: "undefined",
      logged: ["memory trim is off: node was started without --expose-gc"],
    });
  });

  it("is there in the operator image, whose command line starts node with --expose-gc", () => {
    const dockerfile = readFileSync(join(import.meta.dirname, "..", "..", "Dockerfile.operator"), "utf8");
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(dockerfile)?.[1] ?? "[]";
    expect(JSON.parse(entrypoint)).toEqual(["/nodejs/bin/node", "--expose-gc"]);
  });
});
