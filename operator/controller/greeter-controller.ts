/**
 * The Greeter controller's I/O: it feeds the pure `reconcileGreeter` from the informer caches and carries out
 * its Plan. Children are server-side applied under one field manager with force; deletes carry a UID
 * precondition; status goes through the status subresource and only when `statusNeedsWrite`; Events are
 * recorded after the plan is carried out. With nothing to change it sends no mutating request at all.
 *
 * A failing Greeter never stops the others: an apply failure is written as Degraded status plus a Warning Event
 * and retried with that key's backoff; an invalid spec is reported by the core as a Degraded status.
 */
import type { KubernetesObject, V1Deployment, V1Pod, V1Service } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { ConditionType } from "../api/v1alpha1/conditions.ts";
import {
  FIELD_MANAGER,
  GROUP,
  KIND,
  LABEL_GREETER,
  PLURAL,
  SERVICE_MONITOR_GROUP,
  SERVICE_MONITOR_KIND,
  SERVICE_MONITOR_PLURAL,
  VERSION,
} from "../api/v1alpha1/constants.ts";
import type { Greeter } from "../api/v1alpha1/greeter.ts";
import { Action, TerminalError } from "../runtime/action.ts";
import { isApiError } from "../runtime/api-error.ts";
import { Controller, type ReconcileRequest } from "../runtime/controller.ts";
import type { ControllerMetrics } from "../runtime/controller-metrics.ts";
import type { EventRecorder } from "../runtime/event-recorder.ts";
import { Informer } from "../runtime/informer.ts";
import type { KubeClient } from "../runtime/kube-client.ts";
import { knownTypes, objectKey, type ResourceType, splitKey } from "../runtime/resource.ts";
import { ResourceClient } from "../runtime/resource-client.ts";
import { byLabel, stripForCache } from "../runtime/store.ts";
import type { WatchMetrics } from "../runtime/watch-metrics.ts";
import type { WorkQueueMetrics } from "../runtime/workqueue-metrics.ts";
import { childNames } from "./names.ts";
import {
  applyFailureEvent,
  type EventSpec,
  type ObservedChildren,
  type Plan,
  reconcileGreeter,
  type ServiceMonitor,
  statusAfterApplyFailure,
  statusNeedsWrite,
} from "./reconcile.ts";

export const greeterType: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: PLURAL,
  kind: KIND,
  namespaced: true,
};
const serviceMonitorType: ResourceType = {
  group: SERVICE_MONITOR_GROUP,
  version: "v1",
  plural: SERVICE_MONITOR_PLURAL,
  kind: SERVICE_MONITOR_KIND,
  namespaced: true,
};

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
}

/** Children keep managedFields: the core's no-op check uses them to see fields we must remove. */
const forChildren = <T extends KubernetesObject>(obj: T): T => {
  const annotations = obj.metadata?.annotations;
  if (!annotations || !("kubectl.kubernetes.io/last-applied-configuration" in annotations)) return obj;
  const { "kubectl.kubernetes.io/last-applied-configuration": _la, ...rest } = annotations;
  return { ...obj, metadata: { ...obj.metadata, annotations: rest } };
};

export class GreeterController {
  readonly controller: Controller;
  readonly greeters: Informer<Greeter & KubernetesObject>;
  readonly deployments: Informer<V1Deployment>;
  readonly services: Informer<V1Service>;
  readonly serviceMonitors: Informer<ServiceMonitor>;
  readonly pods: Informer<V1Pod>;
  readonly #o: GreeterControllerOptions;
  readonly #clients: Record<string, ResourceClient>;
  readonly #greeterClient: ResourceClient<Greeter & KubernetesObject>;

  constructor(options: GreeterControllerOptions) {
    this.#o = options;
    const { client, log, watchNamespaces } = options;
    const ours = {
      labelSelector: LABEL_GREETER,
      namespaces: watchNamespaces,
      metrics: options.metrics.watch,
      log,
    };
    this.#greeterClient = new ResourceClient(client, greeterType);
    const deployments = new ResourceClient<V1Deployment>(client, knownTypes.deployments);
    const services = new ResourceClient<V1Service>(client, knownTypes.services);
    const serviceMonitors = new ResourceClient<ServiceMonitor>(client, serviceMonitorType);
    this.#clients = { Deployment: deployments, Service: services, ServiceMonitor: serviceMonitors };

    this.greeters = new Informer(this.#greeterClient, {
      namespaces: watchNamespaces,
      metrics: options.metrics.watch,
      log,
    });
    this.deployments = new Informer(deployments, { ...ours, transform: forChildren });
    this.services = new Informer(services, { ...ours, transform: forChildren });
    this.serviceMonitors = new Informer(serviceMonitors, { ...ours, transform: forChildren });
    this.pods = new Informer(new ResourceClient<V1Pod>(client, knownTypes.pods), {
      ...ours,
      transform: stripForCache,
    });
    this.pods.store.addIndex("greeter", byLabel(LABEL_GREETER));

    const owner = { group: GROUP, kind: KIND };
    this.controller = new Controller({
      name: "greeter",
      log: log.child({ controller: "greeter" }),
      workers: options.workers,
      resyncPeriodMs: options.resyncPeriodMs,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      metrics: options.metrics.controller,
      queueMetrics: options.metrics.workQueue,
    })
      .for(this.greeters)
      .owns(this.deployments, owner)
      .owns(this.services, owner)
      .owns(this.serviceMonitors, owner)
      // Pods belong to ReplicaSets; the label carries their Greeter.
      .watches(this.pods, (pod) => {
        const name = pod.metadata?.labels?.[LABEL_GREETER];
        return name ? [objectKey(pod.metadata?.namespace, name)] : [];
      })
      .resyncOnRelist(this.serviceMonitors);
  }

  get informers(): Informer<KubernetesObject>[] {
    return [
      this.greeters,
      this.deployments,
      this.services,
      this.serviceMonitors,
      this.pods,
    ] as Informer<KubernetesObject>[];
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run((req) => this.reconcile(req), signal);
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
    const greeter = this.greeters.store.get(key);
    // Deleted: the garbage collector removes the children through their ownerReferences.
    if (!greeter) return Action.awaitChange();
    const { namespace = "" } = splitKey(key);
    const observed = await this.#observe(greeter, namespace, signal);
    const now = this.#o.now?.() ?? new Date();
    const plan = reconcileGreeter(greeter, observed, { defaultImage: this.#o.greeterImage, now });

    for (const child of plan.apply) {
      try {
        await this.#clientFor(child.kind).apply(child, { fieldManager: FIELD_MANAGER, force: true, signal });
        log.info({ kind: child.kind, name: child.metadata?.name }, "applied");
      } catch (err) {
        return this.#failed(greeter, plan, child.kind ?? "object", child.metadata?.name ?? "", err, now, log);
      }
    }
    for (const ref of plan.delete) {
      try {
        await this.#clientFor(ref.kind).delete(ref.namespace, ref.name, {
          ...(ref.uid ? { uid: ref.uid } : {}),
          signal,
        });
        log.info({ kind: ref.kind, name: ref.name }, "deleted");
      } catch (err) {
        // Gone already, or replaced by another object (UID precondition): nothing of ours to delete.
        if (!isApiError(err, 404) && !isApiError(err, 409)) {
          return this.#failed(greeter, plan, ref.kind, ref.name, err, now, log);
        }
      }
    }
    if (statusNeedsWrite(greeter.status, plan.status)) await this.#writeStatus(greeter, plan.status, signal);
    for (const event of plan.events) this.#record(greeter, event);
    return plan.requeueAfterMs === undefined
      ? Action.awaitChange()
      : Action.requeueAfter(plan.requeueAfterMs);
  }

  async #observe(greeter: Greeter, namespace: string, signal: AbortSignal): Promise<ObservedChildren> {
    const names = childNames(greeter.metadata.name ?? "");
    const crdInstalled = !this.serviceMonitors.absent;
    const [deployment, service, serviceMonitor] = await Promise.all([
      this.#child(this.deployments, "Deployment", namespace, names.deployment, signal),
      this.#child(this.services, "Service", namespace, names.service, signal),
      crdInstalled
        ? this.#child(this.serviceMonitors, "ServiceMonitor", namespace, names.serviceMonitor, signal)
        : undefined,
    ]);
    return {
      ...(deployment ? { deployment } : {}),
      ...(service ? { service } : {}),
      ...(serviceMonitor ? { serviceMonitor } : {}),
      serviceMonitorCrdInstalled: crdInstalled,
      pods: this.pods.store.byIndex("greeter", objectKey(namespace, greeter.metadata.name ?? "")),
    };
  }

  /**
   * The child named `name`, from the cache, else by a GET: the caches only hold objects with our label, and
   * the core must see a foreign object of that name (a NameConflict) or our own not yet in the cache.
   */
  async #child<T extends KubernetesObject>(
    informer: Informer<T>,
    kind: string,
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<T | undefined> {
    const cached = informer.store.get(objectKey(namespace, name));
    if (cached) return cached;
    try {
      return (await this.#clientFor(kind).get(namespace, name, signal)) as T;
    } catch (err) {
      if (isApiError(err, 404)) return undefined;
      throw err;
    }
  }

  async #failed(
    greeter: Greeter,
    plan: Plan,
    kind: string,
    name: string,
    err: unknown,
    now: Date,
    log: Logger,
  ): Promise<never> {
    const message = err instanceof Error ? err.message : String(err);
    log.warn({ kind, name, err: message }, "apply failed");
    const status = statusAfterApplyFailure(plan.status, kind, message, now, greeter.status);
    try {
      if (statusNeedsWrite(greeter.status, status)) await this.#writeStatus(greeter, status);
    } catch (statusErr) {
      log.warn({ err: statusErr }, "could not write the Degraded status");
    }
    this.#record(greeter, applyFailureEvent(kind, name, message));
    // An invalid object stays invalid until someone edits the Greeter, which triggers a reconcile anyway.
    if (isApiError(err, 400) || isApiError(err, 422)) throw new TerminalError(message, { cause: err });
    throw err;
  }

  async #writeStatus(greeter: Greeter, status: Greeter["status"], signal?: AbortSignal): Promise<void> {
    await this.#greeterClient.apply(
      {
        apiVersion: greeter.apiVersion ?? `${GROUP}/${VERSION}`,
        kind: KIND,
        metadata: { name: greeter.metadata.name ?? "", namespace: greeter.metadata.namespace ?? "" },
        status,
      } as KubernetesObject,
      { fieldManager: FIELD_MANAGER, force: true, subresource: "status", ...(signal ? { signal } : {}) },
    );
  }

  #record(greeter: Greeter, event: EventSpec): void {
    this.#o.recorder.record(
      { ...greeter, apiVersion: greeter.apiVersion ?? `${GROUP}/${VERSION}`, kind: KIND },
      {
        type: event.type,
        reason: event.reason,
        action: event.action,
        note: event.note,
        related: event.related,
      },
    );
  }

  #clientFor(kind: string | undefined): ResourceClient {
    const client = this.#clients[kind ?? ""];
    if (!client) throw new TerminalError(`the plan names a kind this controller does not manage: ${kind}`);
    return client;
  }
}
