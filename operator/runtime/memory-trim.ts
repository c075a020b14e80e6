/**
 * MemoryTrim hands memory back to the operating system once a burst of work is over. V8 keeps the heap pages
 * a burst freed in a pool of committed pages, for reuse, and returns them only on a memory-reducing GC; a
 * server never signals V8 that it went idle, so after reconciling 3,000 new Greeters the operator kept ~60 MiB
 * more resident than its heap (bench/operator: 617 heap pages resident against a 92 MiB heap). When the
 * process has been quiet (little CPU) for a while and its RSS has grown 16 MiB past what it was after the last
 * trim, MemoryTrim runs one last-resort full GC, which compacts the heap and releases the pool: a pause of tens
 * of milliseconds at a moment when nothing waits. At most one trim per `minIntervalMs`.
 *
 * The first quiet check after a busy spell (a check that found the process busy, or a trim while busy) trims
 * when RSS grew only `spellGrowthBytes` (4 MiB), and only the time share of busy trims (below) holds it back,
 * not the minute: the end of a burst is the moment that sets the steady state. With the 16 MiB and the minute
 * alone, an operator that had trimmed in a lull shortly before the burst ended, or trimmed while busy a few
 * seconds before, rested up to 16 MiB above its floor (bench/operator, docs/operator-performance.md).
 *
 * A burst that lasts pushes RSS up while it lasts: V8 doubles its young generation each time as many bytes
 * survived as it holds, up to 2 × 64 MiB on a host without a memory limit, and keeps it at that size while
 * allocation goes on. So MemoryTrim also has a soft target (`targetBytes`, 128 MiB): RSS past it and grown
 * 16 MiB since the last trim makes a trim even while busy, checked every `targetCheckMs` (1 s; reading RSS is
 * one read of /proc/self/statm). A trim while busy stalls the work, so trims while busy take at most
 * `busyTrimShare` (5%) of the time: after a pause of p, the next busy trim waits p / busyTrimShare (a 0.3 s pause,
 * 6 s; a 1.5 s pause on a loaded machine, 30 s), and never less than `busyMinIntervalMs` (5 s). A fixed interval
 * either let RSS climb for half a minute on a machine where trims are cheap or stalled a slow one too often.
 * Go's runtime bounds the CPU its soft limit may cost the same way. An operator whose live data alone
 * is past the target trims only when it grew 16 MiB more, so a large one does not trim over and over. A trim
 * while busy leaves the quiet check alone (its baseline and its minute): the burst goes on after it, and the trim
 * once the burst is over is the one that sets the steady state. This is
 * the soft memory limit of Go's runtime (GOMEMLIMIT) in the small: a target, not a limit; nothing fails past it.
 *
 * The GC it runs is V8's `gc()`, which exists only when node was started with `--expose-gc` (the image's
 * command line, Dockerfile.operator, passes it). Without it MemoryTrim stays off: switching V8 flags at run
 * time is something Node documents as unsafe.
 */
import type { Logger } from "pino";

type GcFunction = (options?: { type?: "major"; execution?: "sync"; flavor?: "last-resort" }) => void;

export interface MemoryTrimOptions {
  log: Logger;
  /** RSS growth since the last trim (or start) that makes a trim worthwhile. Default 16 MiB. */
  growthBytes?: number;
  /** How often quietness is checked. Default 10 s. */
  checkEveryMs?: number;
  /** CPU used over one check period, as a fraction of one core, below which the process counts as quiet. */
  quietCpu?: number;
  /** Default 60 s. */
  minIntervalMs?: number;
  /** RSS growth that makes a trim worthwhile at the first quiet check after a busy spell. Default 4 MiB. */
  spellGrowthBytes?: number;
  /** RSS past which a trim runs even while busy (when also grown by `growthBytes`). Default 128 MiB. */
  targetBytes?: number;
  /** How often RSS is compared with the target. Default 1 s. */
  targetCheckMs?: number;
  /** The share of the time that trims while busy may take (their pauses over the time between them). Default 0.05. */
  busyTrimShare?: number;
  /** Between two trims while busy, however short the pauses. Default 5 s. */
  busyMinIntervalMs?: number;
  /** Injectable for tests. */
  rss?: () => number;
  cpuMicros?: () => number;
  now?: () => number;
  /** Default memoryReducingGc(); without one, start() leaves MemoryTrim off. */
  gc?: (() => void) | undefined;
}

const MiB = 2 ** 20;

/** A last-resort full GC through V8's gc(), or undefined when node was started without --expose-gc. */
export function memoryReducingGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: GcFunction }).gc;
  if (!gc) return undefined;
  return () => gc({ type: "major", execution: "sync", flavor: "last-resort" });
}

export class MemoryTrim {
  readonly #o: Required<Omit<MemoryTrimOptions, "log" | "gc">> & {
    log: Logger;
    gc: (() => void) | undefined;
  };
  // The quiet check and the target keep apart where they grow from: a trim while busy is not a floor (the burst
  // goes on after it), so it must not hold back the trim once the burst is over.
  #quietBaseline: number;
  #busyBaseline: number;
  #lastCpu: number;
  #lastQuietTrim: number;
  #lastTrim: number;
  #nextBusyTrim: number;
  /** A check found the process busy, or a trim ran while busy, since the last quiet check that settled it. */
  #busySpell = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: MemoryTrimOptions) {
    this.#o = {
      growthBytes: 16 * MiB,
      checkEveryMs: 10_000,
      quietCpu: 0.05,
      minIntervalMs: 60_000,
      spellGrowthBytes: 4 * MiB,
      targetBytes: 128 * MiB,
      targetCheckMs: 1_000,
      busyTrimShare: 0.05,
      busyMinIntervalMs: 5_000,
      rss: () => process.memoryUsage.rss(),
      cpuMicros: () => {
        const u = process.cpuUsage();
        return u.user + u.system;
      },
      now: () => performance.now(),
      gc: options.gc ?? memoryReducingGc(),
      ...options,
    };
    this.#quietBaseline = this.#busyBaseline = this.#o.rss();
    this.#lastCpu = this.#o.cpuMicros();
    this.#lastQuietTrim = this.#lastTrim = this.#nextBusyTrim = this.#o.now();
  }

  start(): void {
    if (!this.#o.gc) {
      this.#o.log.info("memory trim is off: node was started without --expose-gc");
      return;
    }
    // One timer: every tick compares RSS with the target, and every checkEveryMs also checks for quiet.
    const ticksPerCheck = Math.max(1, Math.round(this.#o.checkEveryMs / this.#o.targetCheckMs));
    let ticks = 0;
    this.#timer = setInterval(
      () => {
        if (++ticks % ticksPerCheck === 0 && this.check()) return;
        this.checkTarget();
      },
      Math.min(this.#o.checkEveryMs, this.#o.targetCheckMs),
    );
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One comparison with the soft target; returns whether it trimmed. Public for tests. */
  checkTarget(): boolean {
    const rss = this.#o.rss();
    this.#busyBaseline = Math.min(this.#busyBaseline, rss);
    if (rss < this.#o.targetBytes || rss - this.#busyBaseline < this.#o.growthBytes) return false;
    if (this.#o.now() < this.#nextBusyTrim) return false;
    const after = this.#trim(rss, "past the memory target");
    if (after === undefined) return false;
    this.#busyBaseline = after;
    this.#busySpell = true;
    return true;
  }

  /** One periodic check; returns whether it trimmed. Public for tests. */
  check(): boolean {
    const cpu = this.#o.cpuMicros();
    const busy = (cpu - this.#lastCpu) / 1000 / this.#o.checkEveryMs;
    this.#lastCpu = cpu;
    const rss = this.#o.rss();
    const now = this.#o.now();
    // A process that shrank on its own sets a lower mark to grow from.
    this.#quietBaseline = Math.min(this.#quietBaseline, rss);
    if (busy >= this.#o.quietCpu) {
      this.#busySpell = true;
      return false;
    }
    const grown = rss - this.#quietBaseline;
    if (this.#busySpell) {
      if (grown < this.#o.spellGrowthBytes) {
        this.#busySpell = false;
        return false;
      }
      if (now < this.#nextBusyTrim) return false;
    } else {
      if (grown < this.#o.growthBytes) return false;
      if (now - this.#lastQuietTrim < this.#o.minIntervalMs) return false;
    }
    const after = this.#trim(rss, "after a burst of work");
    if (after === undefined) return false;
    this.#quietBaseline = this.#busyBaseline = after;
    this.#lastQuietTrim = this.#lastTrim;
    this.#busySpell = false;
    return true;
  }

  /** Runs the GC; returns RSS after it, or undefined without a GC to run. */
  #trim(rss: number, why: string): number | undefined {
    if (!this.#o.gc) return undefined;
    const started = this.#o.now();
    this.#o.gc();
    const after = this.#o.rss();
    this.#lastTrim = this.#o.now();
    const pauseMs = this.#lastTrim - started;
    this.#nextBusyTrim =
      this.#lastTrim + Math.max(this.#o.busyMinIntervalMs, Math.round(pauseMs / this.#o.busyTrimShare));
    // The GC's own CPU must not count against the next period's quietness.
    this.#lastCpu = this.#o.cpuMicros();
    this.#o.log.info(
      {
        rssBeforeMiB: Math.round(rss / MiB),
        rssAfterMiB: Math.round(after / MiB),
        pauseMs: Math.round(pauseMs),
      },
      `returned memory to the operating system ${why}`,
    );
    return after;
  }
}
