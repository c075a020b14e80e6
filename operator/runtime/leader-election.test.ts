import pino from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ApiError } from "./api-error.ts";
import {
  createLeaderElectionMetrics,
  type LeaderElectionMetrics,
  LeaderElector,
  LeadershipLost,
  type Lease,
  type LeaseClient,
} from "./leader-election.ts";
import { eventually } from "./testing/fake-api-server.ts";

/** One Lease with the API server's optimistic concurrency: a write with a stale resourceVersion is a 409. */
class LeaseServer {
  lease: Lease | undefined;
  #rv = 0;
  writes = 0;
  /** `answering` runs after a replace is stored and before its answer reaches the client. */
  clientFor(
    answering: (signal?: AbortSignal) => void = () => {},
  ): LeaseClient & { down: boolean; reads: number } {
    const server = this;
    const check = (c: { down: boolean }) => {
      if (c.down) throw new Error("connection refused");
    };
    return {
      down: false,
      reads: 0,
      async get() {
        check(this);
        this.reads++;
        if (!server.lease) throw new ApiError(404, "NotFound", "not found");
        return structuredClone(server.lease);
      },
      async create(lease) {
        check(this);
        if (server.lease) throw new ApiError(409, "AlreadyExists", "exists");
        return server.#store(lease);
      },
      async replace(lease, signal) {
        check(this);
        if (lease.metadata?.resourceVersion !== server.lease?.metadata?.resourceVersion) {
          throw new ApiError(409, "Conflict", "the object has been modified");
        }
        const stored = server.#store(lease);
        answering(signal);
        signal?.throwIfAborted();
        return stored;
      },
    };
  }
  #store(lease: Lease): Lease {
    this.writes++;
    this.lease = {
      ...structuredClone(lease),
      metadata: { ...lease.metadata, resourceVersion: `v${++this.#rv}` },
    };
    return structuredClone(this.lease);
  }
}

// Short enough for a unit test, long enough that a busy CI machine does not miss a renewal.
const timings = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };
const log = pino({ level: "silent" });

/**
 * Watches every elector's belief: the safety property of leader election is that at no instant do two of them
 * believe they lead. Beliefs change only in `leading` (synchronously), so checking there sees every instant.
 */
class Witness {
  readonly electors: LeaderElector[] = [];
  overlaps: string[] = [];
  metrics(identity: string, registry: Registry): LeaderElectionMetrics {
    const gauge = createLeaderElectionMetrics(registry);
    return {
      leading: (name, isLeader) => {
        gauge.leading(name, isLeader);
        const others = this.electors.filter((e) => e.isLeader).length - (isLeader ? 1 : 0);
        if (isLeader && others > 0) this.overlaps.push(`${identity} began to lead while another led`);
      },
    };
  }
}

function candidate(
  server: LeaseServer,
  identity: string,
  opts: { witness?: Witness; drain?: Promise<void>; answering?: (signal?: AbortSignal) => void } = {},
) {
  const registry = new Registry();
  const leases = server.clientFor(opts.answering);
  const witness = opts.witness ?? new Witness();
  const elector = new LeaderElector({
    leases,
    namespace: "ops",
    name: "greeter-operator",
    identity,
    log,
    metrics: witness.metrics(identity, registry),
    ...timings,
  });
  witness.electors.push(elector);
  const stop = new AbortController();
  const terms: Array<{ lost: boolean; drained: boolean }> = [];
  const running = elector.run(async (signal) => {
    const term = { lost: false, drained: false };
    terms.push(term);
    await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
    // Lost, the signal says so, so that the controller aborts work in flight instead of finishing it.
    term.lost = signal.reason instanceof LeadershipLost;
    // Stopped, the work in flight drains (a controller lets its reconciles finish).
    if (!term.lost) await opts.drain;
    term.drained = true;
  }, stop.signal);
  return { elector, leases, stop, running, terms, registry, witness };
}

describe("LeaderElector", () => {
  it("creates the Lease, leads, and releases it on stop", async () => {
    const server = new LeaseServer();
    const a = candidate(server, "a");
    await eventually(() => a.elector.isLeader, "a to lead");
    expect(server.lease?.spec).toMatchObject({
      holderIdentity: "a",
      leaseDurationSeconds: 2,
      leaseTransitions: 0,
    });
    expect(server.lease?.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(await a.registry.metrics()).toContain('leader_election_master_status{name="greeter-operator"} 1');
    a.stop.abort();
    await a.running;
    expect(server.lease?.spec?.holderIdentity).toBeUndefined();
    expect(a.terms).toEqual([{ lost: false, drained: true }]);
    expect(await a.registry.metrics()).toContain('leader_election_master_status{name="greeter-operator"} 0');
  });

  it("keeps a standby waiting while the leader renews, and hands over at once on release", async () => {
    const server = new LeaseServer();
    const a = candidate(server, "a");
    await eventually(() => a.elector.isLeader, "a to lead");
    const b = candidate(server, "b");
    const renewalsBefore = server.writes;
    await eventually(() => server.writes >= renewalsBefore + 8, "several renewals by a");
    expect(b.elector.isLeader).toBe(false);
    expect(server.lease?.spec?.holderIdentity).toBe("a");
    a.stop.abort();
    await a.running;
    await eventually(() => b.elector.isLeader, "b to take over");
    expect(server.lease?.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    b.stop.abort();
    await b.running;
  });

  it("keeps renewing while the work drains after a stop, so no standby takes over, then releases the lease", async () => {
    const server = new LeaseServer();
    const witness = new Witness();
    let drained = () => {};
    const drain = new Promise<void>((r) => {
      drained = r;
    });
    const a = candidate(server, "a", { witness, drain });
    await eventually(() => a.elector.isLeader, "a to lead");
    const b = candidate(server, "b", { witness });
    a.stop.abort();
    // Renewals are at least a retry period apart: this many span more than a lease duration.
    const spanning = Math.ceil(timings.leaseDurationMs / timings.retryPeriodMs) + 2;
    const writes = server.writes;
    await eventually(() => server.writes >= writes + spanning, "a to renew for longer than a lease");
    expect(b.elector.isLeader).toBe(false);
    expect(server.lease?.spec?.holderIdentity).toBe("a");
    expect(a.terms).toEqual([{ lost: false, drained: false }]);

    drained();
    await a.running;
    const readsAtRelease = b.leases.reads;
    await eventually(() => b.elector.isLeader, "b to take over");
    // At once: on b's next look at the released lease, not after it expired (that would take many looks).
    expect(b.leases.reads - readsAtRelease).toBeLessThanOrEqual(2);
    expect(witness.overlaps).toEqual([]);
    b.stop.abort();
    await b.running;
  });

  it("releases a lease it won as it was stopped, so scaling to zero leaves the lease free", async () => {
    const server = new LeaseServer();
    const a = candidate(server, "a");
    await eventually(() => a.elector.isLeader, "a to lead");
    // b's SIGTERM arrives while its write taking the just-released lease is on the wire.
    const b = candidate(server, "b", {
      answering: () => {
        if (server.lease?.spec?.holderIdentity === "b") b.stop.abort();
      },
    });
    a.stop.abort();
    await a.running;
    await b.running;
    expect(b.terms).toEqual([]);
    expect(server.lease?.spec?.holderIdentity).toBeUndefined();
    expect(server.lease?.spec?.leaseTransitions).toBe(1);
  });

  it("lets a standby take an expired lease from a dead leader, which steps down before it does", async () => {
    const server = new LeaseServer();
    const witness = new Witness();
    const a = candidate(server, "a", { witness });
    await eventually(() => a.elector.isLeader, "a to lead");
    const b = candidate(server, "b", { witness });
    a.leases.down = true; // a is cut off from the API server
    await eventually(() => b.elector.isLeader, "b to take over");
    expect(a.elector.isLeader).toBe(false);
    expect(witness.overlaps).toEqual([]);
    expect(a.terms).toEqual([{ lost: true, drained: true }]);
    expect(server.lease?.spec?.holderIdentity).toBe("b");
    a.leases.down = false;
    // a campaigns again but must not take the lease from a live leader.
    const writes = server.writes;
    await eventually(() => server.writes >= writes + 8, "more renewals by b");
    expect(a.elector.isLeader).toBe(false);
    expect(witness.overlaps).toEqual([]);
    b.stop.abort();
    a.stop.abort();
    await Promise.all([a.running, b.running]);
  });

  it("refuses timings where the lease could expire before the leader notices", () => {
    expect(
      () =>
        new LeaderElector({
          leases: new LeaseServer().clientFor(),
          namespace: "n",
          name: "l",
          identity: "a",
          log,
          leaseDurationMs: 10_000,
          renewDeadlineMs: 15_000,
        }),
    ).toThrow(/leaseDuration > renewDeadline/);
  });
});
