/**
 * WorkQueue holds keys (never objects) waiting to be reconciled, with client-go's guarantees: a key is queued
 * at most once however often it is added (dirty set), and never handed to two workers at once (processing
 * set; a key added while processed is queued again when `done`). Retries go through a RateLimiter
 * (`addRateLimited`, cleared by `forget`), delayed adds through `addAfter` (the earliest wins).
 */
import { DefaultRateLimiter, type RateLimiter } from "./rate-limiter.ts";
import { noWorkQueueMetrics, type WorkQueueMetrics } from "./workqueue-metrics.ts";

export interface WorkQueueOptions {
  /** Used as the `name` and `controller` labels of the metrics. */
  name: string;
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
  now?: () => number;
}

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
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
    return this.#queue.length;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#metrics.added();
    this.#dirty.add(key);
    this.#addedAt.set(key, this.#now());
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /** Adds `key` after `delayMs`; if it is already waiting, the earlier deadline is kept. */
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
    const key = this.#queue.shift();
    if (key !== undefined) return Promise.resolve(this.#take(key));
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  done(key: string): void {
    const started = this.#processing.get(key);
    if (started === undefined) return;
    this.#processing.delete(key);
    this.#metrics.worked((this.#now() - started) / 1000);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
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

  #push(key: string): void {
    const getter = this.#getters.shift();
    if (getter) {
      getter(this.#take(key));
      return;
    }
    this.#queue.push(key);
    this.#metrics.depth(this.#queue.length);
  }

  #take(key: string): string {
    this.#dirty.delete(key);
    this.#processing.set(key, this.#now());
    this.#metrics.depth(this.#queue.length);
    this.#metrics.queued((this.#now() - (this.#addedAt.get(key) ?? this.#now())) / 1000);
    this.#addedAt.delete(key);
    return key;
  }
}
