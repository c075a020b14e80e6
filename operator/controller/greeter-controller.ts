/**
 * The Greeter controller's I/O: it feeds the pure `reconcileGreeter` from the informer caches and carries out
 * its Plan. Children are server-side applied under one field manager with force; deletes carry a UID
 * precondition; status goes through the status subresource and only when `statusNeedsWrite`; Events are
 * recorded after the plan is carried out. With nothing to change it sends no mutating request at all.
 *
 * A failing Greeter never stops the others: an apply failure is written as Degraded status plus a Warning Event
 * and retried with that key's backoff (apply-failures.ts: which failures wait before they are reported, and which
 * are not retried); an invalid spec is reported by the core as a Degraded status. A reconcile aborted because the
 * lease was lost or shutdown stopped waiting is no failure: it writes nothing more.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { KubernetesObject, V1Deployment, V1Pod, V1Service } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { ConditionType } from "../api/v1alpha1/conditions.ts";
import {
  API_VERSION,
  CONTROLLER_NAME,
  FIELD_MANAGER,
  GROUP,
  KIND,
  LABEL_GREETER,
} from "../api/v1alpha1/constants.ts";
import type { Greeter } from "../api/v1alpha1/greeter.ts";
import { Action, TerminalError } from "../runtime/action.ts";
import { isApiError, isNamespaceNotFound, isNamespaceTerminating } from "../runtime/api-error.ts";
import { Controller, type ReconcileRequest } from "../runtime/controller.ts";
import type { ControllerMetrics } from "../runtime/controller-metrics.ts";
import type { EventRecorder } from "../runtime/event-recorder.ts";
import type { Informer } from "../runtime/informer.ts";
import type { KubeClient } from "../runtime/kube-client.ts";
import { LeadershipLost } from "../runtime/leader-election.ts";
import { RecentWrites } from "../runtime/recent-writes.ts";
import { type ObjectKey, objectKey, splitKey } from "../runtime/resource.ts";
import type { ResourceClient } from "../runtime/resource-client.ts";
import { stripForCache } from "../runtime/store.ts";
import type { WatchMetrics } from "../runtime/watch-metrics.ts";
import { Priority } from "../runtime/work-queue.ts";
import type { WorkQueueMetrics } from "../runtime/workqueue-metrics.ts";
import { classifyApplyFailure, TransientFailures } from "./apply-failures.ts";
import { forChildCache } from "./cache-transforms.ts";
import { coalesceChildEvents } from "./child-events.ts";
import { isControlledBy } from "./desired/owner.ts";
import {
  type ChildKind,
  type GreeterCaches,
  type GreeterObject,
  greeterCaches,
  PODS_BY_GREETER,
} from "./greeter-caches.ts";
import { childNames, greeterNamesFor } from "./names.ts";
import {
  applyFailureEvent,
  type EventSpec,
  type NetworkPolicy,
  type ObservedChildren,
  type Plan,
  reconcileGreeter,
  type ServiceMonitor,
  statusAfterApplyFailure,
  statusNeedsWrite,
} from "./reconcile.ts";
import { SsaCache } from "./ssa-cache.ts";
import { DEFAULT_STATUS_HOLD_MS, StatusHold } from "./status-hold.ts";

const TYPE_GONE_RETRY_MS = 2_000;
/** How long Events still in flight at a shutdown may take before they are dropped and the Lease released. */
export const EVENT_FLUSH_TIMEOUT_MS = 5_000;

/** Where #observe keeps the cached version of one child: two children may share a kind (the Services). */
const cacheSlot = (kind: string | undefined, name: string | undefined) => `${kind}/${name}`;

export interface GreeterControllerOptions {
  client: KubeClient;
  recorder: EventRecorder;
  log: Logger;
  watchNamespaces: readonly string[];
  greeterImage: string;
  workers: number;
  resyncPeriodMs: number;
  shutdownTimeoutMs: number;
  metrics: { watch: WatchMetrics; workQueue: WorkQueueMetrics; controller: ControllerMetrics };
  now?: () => Date;
  /** How long a status that only reports progress may wait to be coalesced (StatusHold); 0 writes every one. */
  statusHoldMs?: number;
}

export class GreeterController {
  readonly controller: Controller;
  readonly greeters: Informer<GreeterObject>;
  readonly deployments: Informer<V1Deployment>;
  readonly services: Informer<V1Service>;
  readonly serviceMonitors: Informer<ServiceMonitor>;
  readonly networkPolicies: Informer<NetworkPolicy>;
  readonly pods: Informer<V1Pod>;
  readonly foreign: GreeterCaches["foreign"];
  readonly #o: GreeterControllerOptions;
  readonly #statusHold: StatusHold;
  /** Our last applies of children that others shape (see SsaCache). */
  readonly #ssaCache = new SsaCache();
  readonly #transient = new TransientFailures();
  readonly #clients: Record<string, ResourceClient>;
  readonly #greeterClient: ResourceClient<GreeterObject>;
  /** Our own writes, per kind, until the caches show them (see RecentWrites). */
  readonly #recent: Record<string, RecentWrites> = {
    Greeter: new RecentWrites(),
    Deployment: new RecentWrites(),
    Service: new RecentWrites(),
    ServiceMonitor: new RecentWrites(),
    NetworkPolicy: new RecentWrites(),
  };

  constructor(options: GreeterControllerOptions) {
    this.#o = options;
    this.#statusHold = new StatusHold(options.statusHoldMs ?? DEFAULT_STATUS_HOLD_MS);
    const { log } = options;
    const { caches, clients } = greeterCaches(options.client, {
      watchNamespaces: options.watchNamespaces,
      metrics: options.metrics.watch,
      log,
    });
    ({
      greeters: this.greeters,
      deployments: this.deployments,
      services: this.services,
      serviceMonitors: this.serviceMonitors,
      networkPolicies: this.networkPolicies,
      pods: this.pods,
      foreign: this.foreign,
    } = caches);
    this.#greeterClient = clients.greeters;
    this.#clients = clients.children;

    const owner = { group: GROUP, kind: KIND };
    // A child's or a pod's event mostly finishes work begun (a Greeter whose pod became Ready waits for its
    // status), where a Greeter's own event mostly begins work: finishing first makes each Greeter Ready as
    // soon as its pod is, instead of after every Greeter queued before it. The total work is the same.
    const followUp = { priority: Priority.high };
    this.controller = new Controller({
      name: CONTROLLER_NAME,
      log: log.child({ controller: CONTROLLER_NAME }),
      workers: options.workers,
      resyncPeriodMs: options.resyncPeriodMs,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      metrics: options.metrics.controller,
      queueMetrics: options.metrics.workQueue,
    })
      .for(this.greeters)
      .owns(this.deployments, owner, followUp)
      .owns(this.services, owner, followUp)
      .owns(this.serviceMonitors, owner, followUp)
      .owns(this.networkPolicies, owner, followUp)
      // Pods belong to ReplicaSets; the label carries their Greeter.
      .watches(
        this.pods,
        (pod) => {
          const name = pod.metadata?.labels?.[LABEL_GREETER];
          return name ? [objectKey(pod.metadata?.namespace, name)] : [];
        },
        followUp,
      )
      .resyncOnRelist(this.serviceMonitors);
    // A foreign object that takes (or frees) a child's name concerns the Greeter of that name, if there is one.
    const greeterNamed = (obj: KubernetesObject) => {
      const name = obj.metadata?.name ?? "";
      return greeterNamesFor(name)
        .map((n) => objectKey(obj.metadata?.namespace, n))
        .filter((key) => this.greeters.store.get(key) !== undefined);
    };
    for (const informer of Object.values(this.foreign))
      this.controller.watches(informer, greeterNamed, followUp);
  }

  get informers(): Informer<KubernetesObject>[] {
    return [
      this.greeters,
      this.deployments,
      this.services,
      this.serviceMonitors,
      this.networkPolicies,
      this.pods,
      ...Object.values(this.foreign),
    ] as Informer<KubernetesObject>[];
  }

  /**
   * Reconciles until `signal` aborts (see LeaderElector.run for `lost`). Events still pending then are written,
   * for up to EVENT_FLUSH_TIMEOUT_MS, when the term ended in a shutdown (the Lease is released only after this
   * returns), and dropped when the lease was lost: nothing this term started may write after it.
   */
  async run(signal: AbortSignal, lost?: AbortSignal): Promise<void> {
    const abandon = () => {
      if (signal.reason instanceof LeadershipLost || lost?.aborted) this.#o.recorder.abandon();
    };
    signal.addEventListener("abort", abandon, { once: true });
    lost?.addEventListener("abort", abandon, { once: true });
    try {
      await this.controller.run((req) => this.reconcile(req), signal, lost);
    } finally {
      signal.removeEventListener("abort", abandon);
      lost?.removeEventListener("abort", abandon);
    }
    if (signal.reason instanceof LeadershipLost || lost?.aborted) return;
    const flushed = new AbortController();
    await Promise.race([
      this.#o.recorder.flush(),
      sleep(EVENT_FLUSH_TIMEOUT_MS, undefined, { signal: flushed.signal }).catch(() => {}),
    ]);
    flushed.abort();
    this.#o.recorder.abandon();
  }

  /** Greeters whose condition is True, by condition type (for greeter_operator_greeters). */
  countByCondition(): Map<string, number> {
    const counts = new Map<string, number>(Object.values(ConditionType).map((t) => [t, 0]));
    for (const g of this.greeters.store.list()) {
      for (const c of g.status?.conditions ?? []) {
        if (c.status === "True") counts.set(c.type, (counts.get(c.type) ?? 0) + 1);
      }
    }
    return counts;
  }

  async reconcile({ key, log, signal }: ReconcileRequest): Promise<Action> {
    const cachedGreeter = this.greeters.store.get(key);
    const greeter = this.#recentOf("Greeter").read(key, cachedGreeter) as
      | (Greeter & KubernetesObject)
      | undefined;
    // Deleted: the garbage collector removes the children through their ownerReferences.
    if (!greeter) {
      this.#statusHold.forget(key);
      this.#ssaCache.forgetGreeter(key);
      this.#transient.forget(key);
      return Action.awaitChange();
    }
    const { namespace = "" } = splitKey(key);
    const { observed, cached } = await this.#observe(greeter, namespace, signal);
    const now = this.#o.now?.() ?? new Date();
    const plan = reconcileGreeter(greeter, observed, { defaultImage: this.#o.greeterImage, now });

    for (const child of plan.apply) {
      const kind = child.kind ?? "";
      try {
        const written = await this.#clientFor(kind).apply(child, {
          fieldManager: FIELD_MANAGER,
          force: true,
          signal,
        });
        // Trimmed like the cache: at thousands of new Greeters these answers are many and briefly kept.
        const answer = forChildCache(written);
        this.#recentOf(kind).remember(cached[cacheSlot(kind, child.metadata?.name)], answer);
        this.#ssaCache.remember(key, child, answer);
        log.info({ kind, name: child.metadata?.name }, "applied");
      } catch (err) {
        // Aborted: the lease was lost (another replica may lead already) or shutdown stopped waiting. Not the
        // Greeter's failure, and nothing more may be written in this term.
        if (signal.aborted) throw err;
        // The namespace itself is gone (a Greeter left behind by an interrupted namespace deletion, or a cache
        // that has not yet seen the Greeter's deletion): retrying on a timer would be refused writes forever.
        if (isNamespaceNotFound(err)) {
          log.debug({ kind, name: child.metadata?.name }, "namespace does not exist; not recreating");
          return Action.awaitChange();
        }
        // Apply creates, so any other 404 means the type itself is not served (e.g. its CRD was just deleted): not
        // the Greeter's fault. The informer notices the type is gone and the status will say so.
        if (isApiError(err, 404)) {
          log.info({ kind }, "resource type not served; checking again shortly");
          return Action.requeueAfter(TYPE_GONE_RETRY_MS);
        }
        // The namespace is being deleted and the Greeter with it (the namespace controller removes children
        // and Greeters in no particular order). Nothing can be created there any more: a Degraded status, a
        // Warning Event (itself refused) and retries with backoff would only be refused writes until the
        // Greeter's deletion arrives.
        if (isNamespaceTerminating(err)) {
          log.debug({ kind, name: child.metadata?.name }, "namespace is being deleted; not recreating");
          return Action.awaitChange();
        }
        return this.#failed(
          key,
          greeter,
          cachedGreeter,
          plan,
          kind,
          child.metadata?.name ?? "",
          err,
          now,
          log,
          signal,
        );
      }
    }
    for (const ref of plan.delete) {
      try {
        await this.#clientFor(ref.kind).delete(ref.namespace, ref.name, {
          ...(ref.uid ? { uid: ref.uid } : {}),
          signal,
        });
        this.#recentOf(ref.kind).forget(objectKey(ref.namespace, ref.name));
        this.#ssaCache.forget(key, { kind: ref.kind, metadata: { name: ref.name } });
        log.info({ kind: ref.kind, name: ref.name }, "deleted");
      } catch (err) {
        if (signal.aborted) throw err;
        // Gone already, or replaced by another object (UID precondition): nothing of ours to delete.
        if (!isApiError(err, 404) && !isApiError(err, 409)) {
          return this.#failed(key, greeter, cachedGreeter, plan, ref.kind, ref.name, err, now, log, signal);
        }
      }
    }
    this.#transient.forget(key);
    if (statusNeedsWrite(greeter.status, plan.status)) {
      const holdMs = this.#statusHold.delay(key, plan.status);
      if (holdMs > 0) {
        // Only the child events now: condition-transition events go out with the status they describe.
        const childEvents = plan.events.filter((e) => e.related);
        for (const event of coalesceChildEvents(childEvents)) this.#record(greeter, event, signal);
        return Action.requeueAfter(Math.min(holdMs, plan.requeueAfterMs ?? holdMs));
      }
      await this.#writeStatus(greeter, cachedGreeter, plan.status, signal);
    }
    for (const event of coalesceChildEvents(plan.events)) this.#record(greeter, event, signal);
    return plan.requeueAfterMs === undefined
      ? Action.awaitChange()
      : Action.requeueAfter(plan.requeueAfterMs);
  }

  /** What the core needs, plus the cached versions our writes will replace (for RecentWrites). */
  async #observe(
    greeter: Greeter,
    namespace: string,
    signal: AbortSignal,
  ): Promise<{ observed: ObservedChildren; cached: Record<string, KubernetesObject | undefined> }> {
    const names = childNames(greeter.metadata.name ?? "");
    const crdInstalled = !this.serviceMonitors.absent;
    const cached = {
      [cacheSlot("Deployment", names.deployment)]: this.deployments.store.get(
        objectKey(namespace, names.deployment),
      ),
      [cacheSlot("Service", names.service)]: this.services.store.get(objectKey(namespace, names.service)),
      [cacheSlot("Service", names.metricsService)]: this.services.store.get(
        objectKey(namespace, names.metricsService),
      ),
      [cacheSlot("ServiceMonitor", names.serviceMonitor)]: this.serviceMonitors.store.get(
        objectKey(namespace, names.serviceMonitor),
      ),
      [cacheSlot("NetworkPolicy", names.networkPolicy)]: this.networkPolicies.store.get(
        objectKey(namespace, names.networkPolicy),
      ),
    };
    // Each child of this Greeter, from the cache when it is current there, else from the API server.
    const read = <T extends KubernetesObject>(kind: ChildKind, name: string) =>
      this.#child<T>(kind, greeter, cached[cacheSlot(kind, name)], namespace, name, signal);
    const [deployment, service, metricsService, serviceMonitor, networkPolicy] = await Promise.all([
      read<V1Deployment>("Deployment", names.deployment),
      read<V1Service>("Service", names.service),
      read<V1Service>("Service", names.metricsService),
      crdInstalled ? read<ServiceMonitor>("ServiceMonitor", names.serviceMonitor) : undefined,
      read<NetworkPolicy>("NetworkPolicy", names.networkPolicy),
    ]);
    const observed: ObservedChildren = {
      ...(deployment ? { deployment } : {}),
      ...(service ? { service } : {}),
      ...(metricsService ? { metricsService } : {}),
      ...(networkPolicy ? { networkPolicy } : {}),
      ...(serviceMonitor ? { serviceMonitor } : {}),
      serviceMonitorCrdInstalled: crdInstalled,
      pods: this.pods.store.byIndex(PODS_BY_GREETER, objectKey(namespace, greeter.metadata.name ?? "")),
    };
    const applied = this.#ssaCache.appliedFor(objectKey(namespace, greeter.metadata.name ?? ""));
    if (applied) observed.applied = applied;
    return { observed, cached };
  }

  /**
   * The child named `name`: our latest write, else our cache, else a foreign object of that name (metadata
   * only), which the core must see to report a NameConflict instead of taking the object over.
   */
  async #child<T extends KubernetesObject>(
    kind: ChildKind,
    greeter: Greeter,
    cached: KubernetesObject | undefined,
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<T | undefined> {
    const key = objectKey(namespace, name);
    const known = this.#recentOf(kind).read(key, cached);
    if (known) return known as T;
    const other = this.foreign[kind].store.get(key);
    if (!other || !isControlledBy(other, greeter)) return other as T | undefined;
    // Ours, but someone removed our label: the apply puts it back, and its rollout needs the whole object.
    try {
      return (await this.#clientFor(kind).get(namespace, name, signal)) as T;
    } catch (err) {
      if (isApiError(err, 404)) return undefined;
      throw err;
    }
  }

  async #failed(
    key: ObjectKey,
    greeter: Greeter,
    cachedGreeter: KubernetesObject | undefined,
    plan: Plan,
    kind: string,
    name: string,
    err: unknown,
    now: Date,
    log: Logger,
    signal: AbortSignal,
  ): Promise<never> {
    const message = err instanceof Error ? err.message : String(err);
    const failure = classifyApplyFailure(err);
    if (failure === "transient" && !this.#transient.persisted(key, now.getTime())) {
      log.info({ kind, name, err: message }, "apply failed transiently; retrying before reporting it");
      throw err;
    }
    log.warn({ kind, name, err: message }, "apply failed");
    const status = statusAfterApplyFailure(plan.status, kind, message, now, greeter.status);
    try {
      if (statusNeedsWrite(greeter.status, status)) {
        await this.#writeStatus(greeter, cachedGreeter, status, signal);
      }
    } catch (statusErr) {
      if (signal.aborted) throw err;
      log.warn({ err: statusErr }, "could not write the Degraded status");
    }
    this.#record(greeter, applyFailureEvent(kind, name, message), signal);
    // An invalid object stays invalid until someone edits the Greeter, which triggers a reconcile anyway.
    if (failure === "invalid") throw new TerminalError(message, { cause: err });
    throw err;
  }

  async #writeStatus(
    greeter: Greeter,
    cachedGreeter: KubernetesObject | undefined,
    status: Greeter["status"],
    signal: AbortSignal,
  ): Promise<void> {
    const written = await this.#greeterClient.apply(
      {
        apiVersion: greeter.apiVersion ?? API_VERSION,
        kind: KIND,
        metadata: { name: greeter.metadata.name ?? "", namespace: greeter.metadata.namespace ?? "" },
        status,
      } as KubernetesObject,
      { fieldManager: FIELD_MANAGER, force: true, subresource: "status", signal },
    );
    this.#recentOf("Greeter").remember(cachedGreeter, stripForCache(written));
  }

  #record(greeter: Greeter, event: EventSpec, signal: AbortSignal): void {
    // After an abort the term may be over: an Event now could land after another replica took the lease.
    if (signal.aborted) return;
    this.#o.recorder.record(
      { ...greeter, apiVersion: greeter.apiVersion ?? API_VERSION, kind: KIND },
      {
        type: event.type,
        reason: event.reason,
        action: event.action,
        note: event.note,
        related: event.related,
      },
    );
  }

  #recentOf(kind: string): RecentWrites {
    const recent = this.#recent[kind];
    if (!recent) throw new TerminalError(`the plan names a kind this controller does not manage: ${kind}`);
    return recent;
  }

  #clientFor(kind: string | undefined): ResourceClient {
    const client = this.#clients[kind ?? ""];
    if (!client) throw new TerminalError(`the plan names a kind this controller does not manage: ${kind}`);
    return client;
  }
}
