/**
 * WorkQueue holds keys (never objects) waiting to be reconciled, with client-go's guarantees: a key is queued
 * at most once however often it is added (dirty set), and never handed to two workers at once (processing
 * set; a key added while processed is queued again when `done`). Retries go through a RateLimiter
 * (`addRateLimited`, cleared by `forget`), delayed adds through `addAfter` (the earliest wins).
 *
 * Keys carry a priority, as in controller-runtime's priority queue: a higher one is handed out first, FIFO
 * within one, and adding a queued key again at a higher priority moves it up (never down). The point is that
 * work which is most likely a no-op (the pass over every object at start and on resync, `Priority.low`) does
 * not delay edge-triggered work queued after it.
 */
import { DefaultRateLimiter, type RateLimiter } from "./rate-limiter.ts";
import { noWorkQueueMetrics, type WorkQueueMetrics } from "./workqueue-metrics.ts";

export const Priority = {
  /** controller-runtime's LowPriority: the start-up and resync passes. */
  low: -100,
  normal: 0,
  high: 100,
} as const;

export interface WorkQueueOptions {
  /** Used as the `name` and `controller` labels of the metrics. */
  name: string;
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
  now?: () => number;
}

export class WorkQueue {
  /** One FIFO per priority in use, highest first; few priorities are ever used, so a short array. */
  readonly #buckets: Array<{ priority: number; keys: string[] }> = [];
  #length = 0;
  /** Keys added and not yet handed out, with the priority they are wanted at. */
  readonly #dirty = new Map<string, number>();
  readonly #processing = new Map<string, number>();
  readonly #addedAt = new Map<string, number>();
  readonly #waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #getters: Array<(key: string | undefined) => void> = [];
  readonly #rateLimiter: RateLimiter;
  readonly #now: () => number;
  readonly #metrics;
  readonly #unregister: () => void;
  #shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.#rateLimiter = options.rateLimiter ?? new DefaultRateLimiter();
    this.#now = options.now ?? Date.now;
    const handle = (options.metrics ?? noWorkQueueMetrics).forQueue(options.name, {
      inFlightStarts: () => this.#processing.values(),
    });
    this.#metrics = handle.metrics;
    this.#unregister = handle.unregister;
  }

  get length(): number {
    return this.#length;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  add(key: string, priority: number = Priority.normal): void {
    if (this.#shuttingDown) return;
    const wanted = this.#dirty.get(key);
    if (wanted !== undefined) {
      if (priority <= wanted) return;
      this.#dirty.set(key, priority);
      // A key being processed is not in a bucket: `done` queues it at the priority now recorded.
      if (!this.#processing.has(key)) this.#raise(key, wanted, priority);
      return;
    }
    this.#metrics.added();
    this.#dirty.set(key, priority);
    this.#addedAt.set(key, this.#now());
    if (this.#processing.has(key)) return;
    this.#push(key, priority);
  }

  /** Adds `key` (at normal priority) after `delayMs`; if it is already waiting, the earlier deadline is kept. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.#now() + delayMs;
    const existing = this.#waiting.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.#waiting.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    this.#metrics.retried();
    this.addAfter(key, this.#rateLimiter.when(key));
  }

  /** Clears the key's failure history (call after a successful reconcile). */
  forget(key: string): void {
    this.#rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#rateLimiter.numRequeues(key);
  }

  /** The next key to process, or undefined once the queue is shut down. Pair every key with `done`. */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#shift();
    if (key !== undefined) return Promise.resolve(this.#take(key));
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  done(key: string): void {
    const started = this.#processing.get(key);
    if (started === undefined) return;
    this.#processing.delete(key);
    this.#metrics.worked((this.#now() - started) / 1000);
    const wanted = this.#dirty.get(key);
    if (wanted !== undefined && !this.#shuttingDown) this.#push(key, wanted);
  }

  /** Stops handing out keys and drops pending delayed adds; keys being processed may still call `done`. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#waiting.values()) clearTimeout(timer);
    this.#waiting.clear();
    for (const resolve of this.#getters.splice(0)) resolve(undefined);
    this.#unregister();
  }

  /** Keys currently being processed: for tests and diagnostics. */
  get processing(): string[] {
    return [...this.#processing.keys()];
  }

  #push(key: string, priority: number): void {
    const getter = this.#getters.shift();
    if (getter) {
      getter(this.#take(key));
      return;
    }
    this.#bucket(priority).push(key);
    this.#length++;
    this.#metrics.depth(this.#length);
  }

  #shift(): string | undefined {
    for (const { keys } of this.#buckets) {
      if (keys.length === 0) continue;
      this.#length--;
      return keys.shift();
    }
    return undefined;
  }

  /** Moves a queued key to a higher priority's bucket, at its end: it was not there before. */
  #raise(key: string, from: number, to: number): void {
    const keys = this.#bucket(from);
    keys.splice(keys.indexOf(key), 1);
    this.#bucket(to).push(key);
  }

  #bucket(priority: number): string[] {
    let i = 0;
    while ((this.#buckets[i]?.priority ?? -Infinity) > priority) i++;
    const found = this.#buckets[i];
    if (found?.priority === priority) return found.keys;
    const bucket = { priority, keys: [] as string[] };
    this.#buckets.splice(i, 0, bucket);
    return bucket.keys;
  }

  #take(key: string): string {
    this.#dirty.delete(key);
    this.#processing.set(key, this.#now());
    this.#metrics.depth(this.#length);
    this.#metrics.queued((this.#now() - (this.#addedAt.get(key) ?? this.#now())) / 1000);
    this.#addedAt.delete(key);
    return key;
  }
}
