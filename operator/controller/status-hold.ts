/**
 * StatusHold coalesces status writes that only report progress. While a Greeter rolls out, every step of its
 * Deployment (observed, replica created, pod ready) changes the computed status; writing each one costs an API
 * round trip per step on the worker's critical path, and at thousands of Greeters that amplification, not the
 * real work, set the convergence time (bench/operator). A status that settles the Greeter (Ready=True or
 * Degraded=True) is written at once; one that only says "still progressing" waits until `holdMs` after the
 * Greeter's previous progress write (or after the change began), and then carries the latest numbers. A Greeter
 * that becomes Ready within `holdMs` thus goes straight to Ready with a single status write.
 */
import { ConditionType } from "../api/v1alpha1/conditions.ts";
import type { GreeterStatus } from "../api/v1alpha1/greeter.ts";

export const DEFAULT_STATUS_HOLD_MS = 2_000;

const isTrue = (s: GreeterStatus, type: string) =>
  s.conditions?.some((c) => c.type === type && c.status === "True") ?? false;

export class StatusHold {
  readonly #since = new Map<string, number>();
  readonly #holdMs: number;
  readonly #now: () => number;

  /** `now` is monotonic by default: a wall-clock jump must neither release nor prolong a hold. */
  constructor(holdMs = DEFAULT_STATUS_HOLD_MS, now: () => number = () => performance.now()) {
    this.#holdMs = holdMs;
    this.#now = now;
  }

  /** Milliseconds to wait before writing `next` for `key`; 0 means write it now. */
  delay(key: string, next: GreeterStatus): number {
    if (this.#holdMs <= 0 || isTrue(next, ConditionType.Ready) || isTrue(next, ConditionType.Degraded)) {
      this.#since.delete(key);
      return 0;
    }
    const now = this.#now();
    const since = this.#since.get(key);
    if (since === undefined) {
      this.#since.set(key, now);
      return this.#holdMs;
    }
    const left = since + this.#holdMs - now;
    if (left > 0) return left;
    // Written now; the next progress-only change waits a full hold again.
    this.#since.set(key, now);
    return 0;
  }

  /** The Greeter is gone. */
  forget(key: string): void {
    this.#since.delete(key);
  }

  get size(): number {
    return this.#since.size;
  }
}
