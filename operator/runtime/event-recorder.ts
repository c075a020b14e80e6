/**
 * EventRecorder writes events.k8s.io/v1 Events about objects, fire-and-forget: a failed write is logged,
 * never thrown, so Events cannot break a reconcile. A repeat of the same Event (same object, type, reason,
 * action, note and related object) within `seriesWindowMs` does not create a new object: it counts into the
 * first Event's `series`. The first repeat is written at once (so a converged operator has nothing pending);
 * later ones at most once per `seriesFlushMs`, so a flapping object cannot flood etcd.
 *
 * `abandon()` is for a replica that lost its lease: another replica may lead already, so pending series counts
 * are dropped and writes in flight cancelled rather than left to land after the term ended.
 */
import { randomBytes } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { isApiError } from "./api-error.ts";
import { microTime } from "./micro-time.ts";

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  namespace?: string | undefined;
  name: string;
  uid?: string | undefined;
}

export interface EventInput {
  type: "Normal" | "Warning";
  reason: string;
  action: string;
  note: string;
  related?: ObjectReference | undefined;
}

export interface EventObject extends KubernetesObject {
  eventTime?: string;
  reportingController?: string;
  reportingInstance?: string;
  action?: string;
  reason?: string;
  type?: string;
  note?: string;
  regarding?: ObjectReference;
  related?: ObjectReference;
  series?: { count: number; lastObservedTime: string };
}

export interface EventRecorderOptions {
  events: {
    create(event: EventObject, signal?: AbortSignal): Promise<unknown>;
    mergePatch(namespace: string, name: string, patch: unknown, signal?: AbortSignal): Promise<unknown>;
  };
  /** e.g. "greeter.operator.dev/greeter-operator". */
  reportingController: string;
  /** This process, e.g. the pod name. */
  reportingInstance: string;
  log: Logger;
  seriesWindowMs?: number;
  seriesFlushMs?: number;
  now?: () => number;
}

interface Series {
  name: string;
  namespace: string;
  count: number;
  lastSeen: number;
  written: number;
  writtenAt: number;
  flush: NodeJS.Timeout | undefined;
}

const MAX_SERIES = 4096;
const NOTE_LIMIT = 1024;

export class EventRecorder {
  readonly #o: Required<EventRecorderOptions>;
  readonly #series = new Map<string, Series>();
  readonly #pending = new Set<Promise<unknown>>();
  #writes = new AbortController();

  constructor(options: EventRecorderOptions) {
    this.#o = { seriesWindowMs: 6 * 60_000, seriesFlushMs: 30_000, now: Date.now, ...options };
  }

  /** Records an Event about `regarding` (which needs apiVersion, kind, namespace, name and uid). */
  record(regarding: KubernetesObject, input: EventInput): void {
    const ref: ObjectReference = {
      apiVersion: regarding.apiVersion ?? "",
      kind: regarding.kind ?? "",
      namespace: regarding.metadata?.namespace,
      name: regarding.metadata?.name ?? "",
      uid: regarding.metadata?.uid,
    };
    const note = input.note.length > NOTE_LIMIT ? `${input.note.slice(0, NOTE_LIMIT - 1)}…` : input.note;
    const key = JSON.stringify([
      ref.uid ?? `${ref.namespace}/${ref.name}`,
      input.type,
      input.reason,
      input.action,
      note,
      input.related,
    ]);
    const now = this.#o.now();
    const existing = this.#series.get(key);
    if (existing && now - existing.lastSeen < this.#o.seriesWindowMs) {
      existing.count++;
      existing.lastSeen = now;
      this.#scheduleFlush(key, existing);
      return;
    }
    if (existing) this.#forget(key, existing);
    const namespace = ref.namespace ?? "default";
    const name = `${ref.name}.${randomBytes(8).toString("hex")}`;
    const series: Series = {
      name,
      namespace,
      count: 1,
      lastSeen: now,
      written: 1,
      writtenAt: now,
      flush: undefined,
    };
    this.#series.set(key, series);
    this.#evictOldest();
    const event: EventObject = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name, namespace },
      eventTime: microTime(new Date(now)),
      reportingController: this.#o.reportingController,
      reportingInstance: this.#o.reportingInstance.slice(0, 128),
      action: input.action,
      reason: input.reason,
      type: input.type,
      note,
      regarding: ref,
      ...(input.related ? { related: input.related } : {}),
    };
    this.#track(this.#o.events.create(event, this.#writes.signal), {
      reason: input.reason,
      regarding: `${ref.namespace}/${ref.name}`,
    });
  }

  /** Writes pending series counts and waits for every in-flight write. */
  async flush(): Promise<void> {
    for (const [key, s] of this.#series) {
      if (s.flush) {
        clearTimeout(s.flush);
        s.flush = undefined;
        this.#writeSeries(key, s);
      }
    }
    await Promise.allSettled([...this.#pending]);
  }

  /** Drops every pending series count and cancels writes in flight; later records start new Events. */
  abandon(): void {
    for (const s of this.#series.values()) clearTimeout(s.flush);
    this.#series.clear();
    this.#writes.abort();
    this.#writes = new AbortController();
  }

  #scheduleFlush(key: string, s: Series): void {
    if (s.flush) return;
    const wait = s.writtenAt + this.#o.seriesFlushMs - this.#o.now();
    if (wait <= 0 || s.written === 1) {
      this.#writeSeries(key, s);
      return;
    }
    s.flush = setTimeout(() => {
      s.flush = undefined;
      this.#writeSeries(key, s);
    }, wait);
    s.flush.unref();
  }

  #writeSeries(key: string, s: Series): void {
    if (s.count === s.written) return;
    s.written = s.count;
    s.writtenAt = this.#o.now();
    const patch = { series: { count: s.count, lastObservedTime: microTime(new Date(s.lastSeen)) } };
    const write = this.#o.events
      .mergePatch(s.namespace, s.name, patch, this.#writes.signal)
      .catch((err: unknown) => {
        // The Event expired (events have a TTL) or was deleted: the next repeat starts a new one.
        if (isApiError(err, 404)) this.#forget(key, s);
        throw err;
      });
    this.#track(write, { series: s.name, count: s.count });
  }

  #track(write: Promise<unknown>, context: Record<string, unknown>): void {
    const p = write.catch((err: unknown) => this.#o.log.warn({ err, ...context }, "could not record Event"));
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  #forget(key: string, s: Series): void {
    clearTimeout(s.flush);
    this.#series.delete(key);
  }

  #evictOldest(): void {
    while (this.#series.size > MAX_SERIES) {
      const [key, s] = this.#series.entries().next().value as [string, Series];
      if (s.flush) {
        clearTimeout(s.flush);
        this.#writeSeries(key, s);
      }
      this.#series.delete(key);
    }
  }
}
