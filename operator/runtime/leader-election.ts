/**
 * LeaderElector makes one replica the leader through a coordination.k8s.io/v1 Lease, with client-go's
 * algorithm and defaults (15 s lease, 10 s renew deadline, 2 s retry). A candidate takes the Lease when it
 * is free or when the holder has not renewed it for a full lease duration, measured on the candidate's own
 * clock from when it last saw the Lease change (so clock skew between nodes does not matter). Writes are
 * compare-and-swap on resourceVersion. The leader renews every retry period and steps down when it could
 * not renew within the deadline. On shutdown it keeps renewing while the leader's work drains and releases the
 * Lease last, as controller-runtime's manager does, so a standby takes over at once but never during the drain.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";
import { isApiError } from "./api-error.ts";
import { microTime } from "./micro-time.ts";

export interface Lease extends KubernetesObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** The Lease verbs used; a ResourceClient<Lease> for coordination.k8s.io/v1 leases fits. */
export interface LeaseClient {
  get(namespace: string, name: string, signal?: AbortSignal): Promise<Lease>;
  create(lease: Lease, signal?: AbortSignal): Promise<Lease>;
  replace(lease: Lease, signal?: AbortSignal): Promise<Lease>;
}

export interface LeaderElectionOptions {
  leases: LeaseClient;
  namespace: string;
  name: string;
  /** Unique per process, e.g. hostname_uuid. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
  metrics?: LeaderElectionMetrics;
  /** Wall clock, for the Lease's timestamps. */
  now?: () => number;
  /** For measuring durations: a wall-clock jump must not expire or extend a lease. */
  monotonic?: () => number;
}

export interface LeaderElectionMetrics {
  leading(name: string, isLeader: boolean): void;
}

export function createLeaderElectionMetrics(registry: Registry): LeaderElectionMetrics {
  const status = new Gauge({
    name: "leader_election_master_status",
    help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.",
    labelNames: ["name"] as const,
    registers: [registry],
  });
  return { leading: (name, isLeader) => status.set({ name }, isLeader ? 1 : 0) };
}

/** How long releasing the Lease on shutdown may take (a read and a write); past it, a standby waits for expiry. */
export const RELEASE_TIMEOUT_MS = 4_000;

/**
 * The abort reason of `lead`'s signal when the lease was lost rather than released: another replica may already
 * be leading, so work in flight must stop now instead of finishing (controller.ts aborts it at once).
 */
export class LeadershipLost extends Error {
  constructor(lease: string) {
    super(`lost the lease ${lease}`);
    this.name = "LeadershipLost";
  }
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, "metrics">> & { metrics?: LeaderElectionMetrics };
  #observed: { holder?: string; renewTime?: string; resourceVersion?: string } = {};
  #observedAt = 0;
  #leading = false;

  constructor(options: LeaderElectionOptions) {
    this.#o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      now: Date.now,
      monotonic: () => performance.now(),
      ...options,
      log: options.log.child({ lease: `${options.namespace}/${options.name}` }),
    };
    if (
      this.#o.leaseDurationMs <= this.#o.renewDeadlineMs ||
      this.#o.renewDeadlineMs <= this.#o.retryPeriodMs
    ) {
      throw new Error("leader election needs leaseDuration > renewDeadline > retryPeriod");
    }
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Campaigns until `stop` aborts. Each time it becomes leader it calls `lead` with two signals: `signal` aborts
   * on stop or when leadership is lost (its reason then a LeadershipLost), `lost` only when leadership is lost,
   * also while the work drains after a stop. It renews until `lead` has returned, then releases the Lease; after
   * a loss it campaigns again. A `lead` that returns without a stop ends the campaign too.
   */
  async run(
    lead: (signal: AbortSignal, lost: AbortSignal) => Promise<void>,
    stop: AbortSignal,
  ): Promise<void> {
    this.#o.metrics?.leading(this.#o.name, false);
    while (!stop.aborted) {
      if (!(await this.#acquire(stop))) break;
      this.#setLeading(true);
      const term = new AbortController();
      const lost = new AbortController();
      const returned = new AbortController();
      const stopping = () => term.abort();
      stop.addEventListener("abort", stopping, { once: true });
      if (stop.aborted) stopping();
      const leading = lead(term.signal, lost.signal)
        .catch((err) => this.#o.log.error({ err }, "leader work failed"))
        .finally(() => returned.abort());
      const keptLease = await this.#renewUntilLost(returned.signal);
      stop.removeEventListener("abort", stopping);
      if (!keptLease) {
        // Another replica may take the lease from now on: stop believing first, then wait for the work.
        this.#setLeading(false);
        const reason = new LeadershipLost(this.#o.name);
        term.abort(reason);
        lost.abort(reason);
        await leading;
        continue;
      }
      await leading;
      this.#setLeading(false);
      await this.#release();
      break;
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#o.metrics?.leading(this.#o.name, leading);
    this.#o.log.info({ identity: this.#o.identity }, leading ? "became leader" : "stopped leading");
  }

  async #acquire(stop: AbortSignal): Promise<boolean> {
    this.#o.log.info({ identity: this.#o.identity }, "waiting to acquire the lease");
    while (!stop.aborted) {
      // Not cut short by the stop: the server may already have applied a write whose answer would then be
      // dropped, leaving the Lease held by a process on its way out (a standby stopped just as the leader
      // released, on scale to zero). An attempt that wins as we stop releases at once instead.
      if (await this.#tryAcquireOrRenew(AbortSignal.timeout(this.#o.renewDeadlineMs))) {
        if (!stop.aborted) return true;
        await this.#release();
        return false;
      }
      await this.#sleep(this.#o.retryPeriodMs * (1 + Math.random() * 0.2), stop);
    }
    return false;
  }

  /** Renews until `stop` aborts (true) or leadership is lost (false). */
  async #renewUntilLost(stop: AbortSignal): Promise<boolean> {
    let renewedAt = this.#o.monotonic();
    while (!stop.aborted) {
      await this.#sleep(this.#o.retryPeriodMs, stop);
      if (stop.aborted) break;
      const remaining = this.#o.renewDeadlineMs - (this.#o.monotonic() - renewedAt);
      const attempt = AbortSignal.any([stop, AbortSignal.timeout(Math.max(1, Math.ceil(remaining)))]);
      if (await this.#tryAcquireOrRenew(attempt)) {
        renewedAt = this.#o.monotonic();
      } else if (this.#o.monotonic() - renewedAt >= this.#o.renewDeadlineMs) {
        this.#o.log.error({ renewDeadlineMs: this.#o.renewDeadlineMs }, "could not renew the lease in time");
        return false;
      } else if (this.#observed.holder !== this.#o.identity && this.#observedAt > renewedAt) {
        this.#o.log.error({ holder: this.#observed.holder }, "the lease was taken by another holder");
        return false;
      }
    }
    return true;
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { leases, namespace, name, identity } = this.#o;
    const now = new Date(this.#o.now());
    const leaseDurationSeconds = Math.max(1, Math.ceil(this.#o.leaseDurationMs / 1000));
    try {
      let current: Lease;
      try {
        current = await leases.get(namespace, name, signal);
      } catch (err) {
        if (!isApiError(err, 404)) throw err;
        const created = await leases.create(
          {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: microTime(now),
              renewTime: microTime(now),
              leaseTransitions: 0,
            },
          },
          signal,
        );
        this.#observe(created);
        return true;
      }
      this.#observe(current);
      const holder = current.spec?.holderIdentity;
      const heldByOther = holder !== undefined && holder !== "" && holder !== identity;
      // Like client-go, expiry uses our configured duration: every replica runs with the same settings.
      if (heldByOther && this.#observedAt + this.#o.leaseDurationMs > this.#o.monotonic()) return false;
      const mine = holder === identity;
      const updated = await leases.replace(
        {
          ...current,
          spec: {
            ...current.spec,
            holderIdentity: identity,
            leaseDurationSeconds,
            renewTime: microTime(now),
            acquireTime: mine ? (current.spec?.acquireTime ?? microTime(now)) : microTime(now),
            leaseTransitions: (current.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1),
          },
        },
        signal,
      );
      this.#observe(updated);
      return true;
    } catch (err) {
      if (!isApiError(err, 409)) this.#o.log.warn({ err }, "lease update failed");
      return false;
    }
  }

  /** Remembers when (on our clock) the lease record last changed. */
  #observe(lease: Lease): void {
    const next = {
      holder: lease.spec?.holderIdentity,
      renewTime: lease.spec?.renewTime,
      resourceVersion: lease.metadata?.resourceVersion,
    };
    if (next.holder !== this.#observed.holder || next.renewTime !== this.#observed.renewTime) {
      this.#observedAt = this.#o.monotonic();
    }
    this.#observed = next;
  }

  async #release(): Promise<void> {
    const { leases, namespace, name, identity } = this.#o;
    const deadline = AbortSignal.timeout(RELEASE_TIMEOUT_MS);
    try {
      const current = await leases.get(namespace, name, deadline);
      if (current.spec?.holderIdentity !== identity) return;
      const now = microTime(new Date(this.#o.now()));
      const { holderIdentity: _h, ...rest } = current.spec ?? {};
      await leases.replace(
        { ...current, spec: { ...rest, leaseDurationSeconds: 1, renewTime: now, acquireTime: now } },
        deadline,
      );
      this.#o.log.info("released the lease");
    } catch (err) {
      this.#o.log.warn({ err }, "could not release the lease; a standby takes over when it expires");
    }
  }

  async #sleep(ms: number, stop: AbortSignal): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: stop });
    } catch {
      // stopped
    }
  }
}
