/**
 * Exponential backoff with jitter: base·2^n capped at max, then shortened by up to `jitter` (a fraction)
 * so that many clients failing together do not retry in lock-step.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** 0..1: the delay is drawn from [d·(1−jitter), d]. */
  jitter: number;
}

export function backoffDelay(
  failures: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures, 62));
  return exp * (1 - policy.jitter * random());
}

/** A single retry sequence (e.g. one watch's restarts); reset it after a success. */
export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  #failures = 0;

  constructor(policy: BackoffPolicy, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  next(): number {
    return backoffDelay(this.#failures++, this.#policy, this.#random);
  }

  reset(): void {
    this.#failures = 0;
  }
}
