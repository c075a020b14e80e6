/**
 * Retry pacing for the work queue, as in client-go's default controller rate limiter: the longer of a
 * per-key exponential backoff with jitter (reset by `forget` after a success) and a global token bucket
 * that caps retries of all keys together.
 */
import { type BackoffPolicy, backoffDelay } from "./backoff.ts";

export interface RateLimiter {
  /** Delay before `key` may be retried; counts one more failure for it. */
  when(key: string): number;
  forget(key: string): void;
  numRequeues(key: string): number;
}

/** A token bucket with reservations: every call takes a token, possibly one from the future. */
export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(qps: number, burst: number, now: () => number = Date.now) {
    this.#qps = qps;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  /** Takes a token; returns how long (ms) the caller must wait for it. */
  reserve(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#qps) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#qps;
  }
}

export interface DefaultRateLimiterOptions {
  /** Per key; default 5 ms doubling up to 1000 s with 10% jitter (client-go: 5 ms to 1000 s). */
  backoff?: BackoffPolicy;
  /** Global; default 10 qps with a burst of 100 (client-go's values). */
  qps?: number;
  burst?: number;
  now?: () => number;
  random?: () => number;
}

export class DefaultRateLimiter implements RateLimiter {
  readonly #failures = new Map<string, number>();
  readonly #policy: BackoffPolicy;
  readonly #bucket: TokenBucket;
  readonly #random: () => number;

  constructor(options: DefaultRateLimiterOptions = {}) {
    this.#policy = options.backoff ?? { baseMs: 5, maxMs: 1_000_000, jitter: 0.1 };
    this.#bucket = new TokenBucket(options.qps ?? 10, options.burst ?? 100, options.now);
    this.#random = options.random ?? Math.random;
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    return Math.max(backoffDelay(failures, this.#policy, this.#random), this.#bucket.reserve());
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}
