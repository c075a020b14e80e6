/**
 * Controller turns informer events into keys on a WorkQueue and runs a reconcile function for each key with
 * N workers: `new Controller({name}).for(primary).owns(children, owner).watches(other, mapFn)`, then
 * `run(reconcile, signal)`. `for` is the equivalent of enqueueing every primary object's own key; `owns`
 * enqueues the controller owner of a child (via its controller ownerReference); `watches` maps any object
 * to keys. Every primary key is also enqueued on start and each resync period, at `Priority.low` so that
 * those passes do not delay a change that arrives during them; events are queued at `Priority.normal`, or
 * at the priority `owns` or `watches` was given. Reconciliation is level-based: a reconcile gets only a key
 * and reads the caches.
 *
 * Run it only while leading; informers can run on every replica so a new leader starts with warm caches.
 * Stopping (aborting the signal) stops handing out keys and waits up to `shutdownTimeoutMs` for in-flight
 * reconciles, then aborts their signal; so does losing the lease during that wait (`lost`). A signal aborted
 * with a LeadershipLost aborts them at once.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { type Action, TerminalError } from "./action.ts";
import { type ControllerMetrics, noControllerMetrics, type ReconcileResult } from "./controller-metrics.ts";
import type { Informer } from "./informer.ts";
import { LeadershipLost } from "./leader-election.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import { type ObjectKey, objectKey } from "./resource.ts";
import { keyOf } from "./store.ts";
import { Priority, WorkQueue } from "./work-queue.ts";
import type { WorkQueueMetrics } from "./workqueue-metrics.ts";

export interface ReconcileRequest {
  key: ObjectKey;
  /** Unique per reconcile, for correlating logs. */
  reconcileId: string;
  /** Carries controller, key and reconcileId. */
  log: Logger;
  /** Aborted when a stopping controller stops waiting for this reconcile. */
  signal: AbortSignal;
}

export type Reconciler = (req: ReconcileRequest) => Promise<Action>;

export interface ControllerOptions {
  /** Unique: it labels metrics and logs. */
  name: string;
  log: Logger;
  /** Concurrent reconciles (different keys). Default 1. */
  workers?: number;
  /** Re-enqueue every primary key this often (jittered ±10%). Default 10 h, 0 disables. */
  resyncPeriodMs?: number;
  shutdownTimeoutMs?: number;
  rateLimiter?: () => RateLimiter;
  metrics?: ControllerMetrics;
  queueMetrics?: WorkQueueMetrics;
}

export interface OwnerKind {
  /** API group of the owner ("" for core); any version matches. */
  group: string;
  kind: string;
}

type Mapper = (obj: KubernetesObject) => ObjectKey[];

export interface SourceOptions {
  /** The work queue's priority for keys this source's events enqueue. Default `Priority.normal`. */
  priority?: number;
}

/** What a controller needs from an informer (tests can supply a plain one). */
export type EventSource<T extends KubernetesObject = KubernetesObject> = Pick<
  Informer<T>,
  "hasSynced" | "addHandlers" | "store"
>;

export class Controller {
  readonly name: string;
  readonly #opts: ControllerOptions;
  readonly #sources: Array<{
    informer: EventSource;
    map: Mapper;
    priority: number;
    resyncOnRelist?: boolean;
  }> = [];
  #primary: EventSource | undefined;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#opts = options;
  }

  for<T extends KubernetesObject>(informer: EventSource<T>): this {
    this.#primary = informer as unknown as EventSource;
    return this.watches(informer, (obj) => [keyOf(obj)]);
  }

  owns<T extends KubernetesObject>(
    informer: EventSource<T>,
    owner: OwnerKind,
    options?: SourceOptions,
  ): this {
    return this.watches(
      informer,
      (obj) => {
        const ref = obj.metadata?.ownerReferences?.find((r) => r.controller);
        if (!ref || ref.kind !== owner.kind || groupOf(ref.apiVersion) !== owner.group) return [];
        return [objectKey(obj.metadata?.namespace, ref.name)];
      },
      options,
    );
  }

  watches<T extends KubernetesObject>(
    informer: EventSource<T>,
    map: (obj: T) => ObjectKey[],
    options?: SourceOptions,
  ): this {
    this.#sources.push({
      informer: informer as unknown as EventSource,
      map: map as Mapper,
      priority: options?.priority ?? Priority.normal,
    });
    return this;
  }

  /**
   * Also re-enqueues every primary key whenever `informer` relists, e.g. when its resource type (an optional
   * CRD) appears or vanishes: a change no single object event announces.
   */
  resyncOnRelist<T extends KubernetesObject>(informer: EventSource<T>): this {
    this.#sources.push({
      informer: informer as unknown as EventSource,
      map: () => [],
      priority: Priority.low,
      resyncOnRelist: true,
    });
    return this;
  }

  /** Every informer this controller reads, for starting them and for readiness. */
  get informers(): EventSource[] {
    return [...new Set(this.#sources.map((s) => s.informer))];
  }

  /** Runs until `signal` aborts, then drains; resolves when every worker has stopped. */
  async run(reconcile: Reconciler, signal: AbortSignal, lost?: AbortSignal): Promise<void> {
    const primary = this.#primary;
    if (!primary) throw new Error(`controller ${this.name}: call for() before run()`);
    const { log, name } = this.#opts;
    const workers = this.#opts.workers ?? 1;
    const metrics = this.#opts.metrics ?? noControllerMetrics;
    const queue = new WorkQueue({
      name,
      ...(this.#opts.rateLimiter ? { rateLimiter: this.#opts.rateLimiter() } : {}),
      ...(this.#opts.queueMetrics ? { metrics: this.#opts.queueMetrics } : {}),
    });
    metrics.started(name, workers);

    const enqueueAll = () => {
      for (const key of primary.store.keys()) queue.add(key, Priority.low);
    };
    const removers = this.#sources.map(({ informer, map, priority, resyncOnRelist }) => {
      const enqueue = (obj: KubernetesObject) => {
        for (const key of map(obj)) queue.add(key, priority);
      };
      if (resyncOnRelist) return informer.addHandlers({ onRelist: enqueueAll });
      return informer.addHandlers({
        onAdd: enqueue,
        onUpdate: (oldObj, newObj) => {
          enqueue(oldObj);
          enqueue(newObj);
        },
        onDelete: enqueue,
      });
    });
    const drain = new AbortController();
    const stopping = () => queue.shutDown();
    signal.addEventListener("abort", stopping, { once: true });
    try {
      while (!this.informers.every((i) => i.hasSynced)) {
        if (signal.aborted) return;
        await sleep(100);
      }
      log.info({ workers }, "caches synced; starting workers");
      enqueueAll();
      const resync = this.#startResync(enqueueAll, signal);
      let active = 0;
      const worker = async () => {
        for (;;) {
          const key = await queue.get();
          if (key === undefined) return;
          active++;
          metrics.activeWorkers(name, active);
          try {
            await this.#process(queue, key, reconcile, drain.signal, metrics);
          } finally {
            active--;
            metrics.activeWorkers(name, active);
            queue.done(key);
          }
        }
      };
      const all = Promise.all(Array.from({ length: workers }, worker));
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      clearTimeout(resync());
      if (signal.reason instanceof LeadershipLost) {
        // Another replica may be reconciling the same objects already: two writers must not overlap.
        log.warn({ inFlight: queue.processing }, "leadership lost; aborting reconciles in flight");
        drain.abort(signal.reason);
        await all;
        log.info("controller stopped");
        return;
      }
      const timeoutMs = this.#opts.shutdownTimeoutMs ?? 30_000;
      const stopWaiting = new AbortController();
      const interrupted = await Promise.race([
        all.then(() => undefined),
        sleep(timeoutMs, "timeout" as const, { ref: false, signal: stopWaiting.signal }).catch(
          () => undefined,
        ),
        abortedBy(lost, stopWaiting.signal).then(() => "lost" as const),
      ]);
      stopWaiting.abort();
      if (interrupted === "lost") {
        log.warn(
          { inFlight: queue.processing },
          "leadership lost while draining; aborting reconciles in flight",
        );
        drain.abort(lost?.reason);
        await all;
      } else if (interrupted === "timeout") {
        log.warn(
          { inFlight: queue.processing, timeoutMs },
          "reconciles still running at shutdown; aborting them",
        );
        drain.abort();
        await all;
      }
      log.info("controller stopped");
    } finally {
      signal.removeEventListener("abort", stopping);
      queue.shutDown();
      for (const remove of removers) remove();
    }
  }

  /** Schedules jittered resyncs; returns a function giving the current timer (for clearing). */
  #startResync(enqueueAll: () => void, signal: AbortSignal): () => NodeJS.Timeout | undefined {
    const period = this.#opts.resyncPeriodMs ?? 10 * 3600_000;
    let timer: NodeJS.Timeout | undefined;
    const schedule = () => {
      if (period <= 0 || signal.aborted) return;
      timer = setTimeout(
        () => {
          this.#opts.log.debug("resync: enqueueing every object");
          enqueueAll();
          schedule();
        },
        period * (0.9 + Math.random() * 0.2),
      );
      timer.unref();
    };
    schedule();
    return () => timer;
  }

  async #process(
    queue: WorkQueue,
    key: ObjectKey,
    reconcile: Reconciler,
    drain: AbortSignal,
    metrics: ControllerMetrics,
  ): Promise<void> {
    const reconcileId = randomUUID();
    const log = this.#opts.log.child({ key, reconcileId });
    const started = performance.now();
    let result: ReconcileResult = "success";
    let terminal = false;
    try {
      const action = await reconcile({ key, reconcileId, log, signal: drain });
      queue.forget(key);
      if (action.requeueAfterMs !== undefined) {
        result = "requeue_after";
        queue.addAfter(key, action.requeueAfterMs);
      }
    } catch (err) {
      result = "error";
      if (drain.aborted) {
        // Stopped on purpose (lease lost, or shutdown gave up waiting): the next term reconciles it afresh.
        log.info({ reason: describe(drain.reason) }, "reconcile aborted");
      } else if (err instanceof TerminalError) {
        terminal = true;
        queue.forget(key);
        log.error({ err }, "reconcile failed permanently; waiting for a change");
      } else {
        queue.addRateLimited(key);
        log.error({ err, retries: queue.numRequeues(key) }, "reconcile failed; will retry");
      }
    } finally {
      metrics.reconciled(this.name, result, (performance.now() - started) / 1000, terminal);
    }
  }
}

/** Resolves when `signal` aborts; never, without one, or once `until` aborts first. */
function abortedBy(signal: AbortSignal | undefined, until: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve();
    const done = () => {
      signal.removeEventListener("abort", done);
      until.removeEventListener("abort", done);
      if (signal.aborted) resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    until.addEventListener("abort", done, { once: true });
  });
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}
