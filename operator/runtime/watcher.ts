/**
 * Watcher keeps a consumer in step with one resource collection: it lists, then watches from the list's
 * resourceVersion with bookmarks, and never gives up. It relists after 410 Gone, restarts after any error
 * or when the stream stays silent longer than `silenceTimeoutMs` (API-server bookmarks, about one a minute,
 * keep a healthy idle watch talking), and backs off between failed attempts. A watch the server ends normally
 * after it proved alive (an event or a bookmark) is resumed at once, as client-go's reflector does; a 410 relists
 * after the backoff, so a server that keeps answering 410 is not hammered. A resource type that is not
 * served (404 on list, e.g. a CRD not installed yet) is reported "absent" and polled until it appears.
 * resourceVersion is treated as opaque: stored and sent back, never parsed or compared.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { ApiError, isApiError } from "./api-error.ts";
import { Backoff, type BackoffPolicy } from "./backoff.ts";
import { resourceLabel, resourcePath } from "./resource.ts";
import type { ResourceClient } from "./resource-client.ts";
import { noWatchMetrics, type RestartReason, type WatchMetrics } from "./watch-metrics.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

/** Where a watcher delivers: a full state (`replace`) after every (re)list, then incremental events. */
export interface WatchSink<T> {
  /** Applied to each listed object as its page arrives; `replace` then gets the results. */
  prepare?(raw: T): T;
  replace(items: T[]): void;
  event(type: WatchEventType, obj: T): void;
}

export type WatcherState = "idle" | "listing" | "watching" | "absent" | "backoff" | "stopped";

export interface WatcherOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  /** Restart a watch that has delivered nothing (not even a bookmark) for this long. Default 150 s. */
  silenceTimeoutMs?: number;
  /** Between failed attempts. Default 500 ms doubling to 10 s, 20% jitter: one operator cannot stampede the API server, and a shorter cap means a faster recovery after an outage. */
  backoff?: BackoffPolicy;
  /** How often to look again for a resource type that is not served. Default 10 s. */
  absentPollMs?: number;
  /** The server ends each watch after a random 5–10 min (as client-go asks), spreading reconnects. */
  serverTimeoutSeconds?: () => number;
  metrics?: WatchMetrics;
  log?: Logger | undefined;
  now?: () => number;
}

interface WatchOutcome {
  reason: RestartReason;
  /** Events and bookmarks received: more than 0 means the watch was healthy until it ended. */
  received: number;
  error?: unknown;
}

export class Watcher<T extends KubernetesObject = KubernetesObject> {
  readonly #client: ResourceClient<T>;
  readonly #sink: WatchSink<T>;
  readonly #opts: Required<Omit<WatcherOptions, "namespace" | "labelSelector" | "log">>;
  readonly #namespace: string | undefined;
  readonly #labelSelector: string | undefined;
  readonly #log: Logger | undefined;
  readonly #resource: string;
  readonly #stop = new AbortController();
  #state: WatcherState = "idle";
  #synced = false;
  #lastAliveAt: number;
  #loop: Promise<void> | undefined;
  #untrack: () => void = () => {};

  constructor(client: ResourceClient<T>, sink: WatchSink<T>, options: WatcherOptions = {}) {
    this.#client = client;
    this.#sink = sink;
    this.#namespace = options.namespace;
    this.#labelSelector = options.labelSelector;
    this.#log = options.log;
    this.#resource = resourceLabel(client.type);
    this.#opts = {
      silenceTimeoutMs: options.silenceTimeoutMs ?? 150_000,
      backoff: options.backoff ?? { baseMs: 500, maxMs: 10_000, jitter: 0.2 },
      absentPollMs: options.absentPollMs ?? 10_000,
      serverTimeoutSeconds: options.serverTimeoutSeconds ?? (() => Math.floor(300 + Math.random() * 300)),
      metrics: options.metrics ?? noWatchMetrics,
      now: options.now ?? (() => performance.now()),
    };
    this.#lastAliveAt = this.#opts.now();
  }

  get state(): WatcherState {
    return this.#state;
  }

  /** True once a full list was delivered (or the resource was found absent). */
  get synced(): boolean {
    return this.#synced;
  }

  /** Milliseconds since the watch last proved alive: an event, a bookmark, a list or a (re)connect. */
  get silenceMs(): number {
    return this.#opts.now() - this.#lastAliveAt;
  }

  start(): void {
    if (this.#loop) return;
    this.#untrack = this.#opts.metrics.track(this.#resource, () => this.silenceMs / 1000);
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    this.#untrack();
    this.#state = "stopped";
  }

  #alive(): void {
    this.#lastAliveAt = this.#opts.now();
  }

  async #run(): Promise<void> {
    const backoff = new Backoff(this.#opts.backoff);
    let rv: string | undefined;
    let absent = false;
    while (!this.#stop.signal.aborted) {
      if (rv === undefined) {
        this.#state = "listing";
        try {
          const list = await this.#client.list({
            ...(this.#namespace ? { namespace: this.#namespace } : {}),
            ...(this.#labelSelector ? { labelSelector: this.#labelSelector } : {}),
            signal: this.#stop.signal,
            ...(this.#sink.prepare ? { map: this.#sink.prepare.bind(this.#sink) } : {}),
          });
          if (absent) this.#log?.info({ resource: this.#resource }, "resource type is now served");
          absent = false;
          this.#sink.replace(list.items);
          rv = list.resourceVersion;
          this.#synced = true;
          this.#alive();
        } catch (err) {
          if (this.#stop.signal.aborted) break;
          if (isApiError(err, 404)) {
            if (!absent) {
              this.#log?.warn(
                { resource: this.#resource },
                "resource type is not served (CRD not installed?)",
              );
              this.#sink.replace([]);
            }
            absent = true;
            this.#synced = true;
            this.#alive();
            this.#state = "absent";
            await this.#sleep(this.#opts.absentPollMs);
            continue;
          }
          this.#opts.metrics.restarted(this.#resource, "error");
          this.#log?.warn({ resource: this.#resource, err: describe(err) }, "list failed; retrying");
          this.#state = "backoff";
          await this.#sleep(backoff.next());
          continue;
        }
      }
      this.#state = "watching";
      const outcome = await this.#watchOnce(rv, (next) => {
        rv = next;
      });
      if (this.#stop.signal.aborted) break;
      this.#opts.metrics.restarted(this.#resource, outcome.reason);
      // Only a watch that worked ends a run of failures: a list that succeeds but whose watch fails at once
      // does not, so a server that answers every watch with 410 sees ever longer pauses.
      if (outcome.received > 0) backoff.reset();
      if (outcome.reason === "gone" || outcome.reason === "absent") {
        // Our resourceVersion is too old (or the type vanished): only a fresh list is consistent.
        rv = undefined;
        this.#log?.info({ resource: this.#resource, reason: outcome.reason }, "relisting");
        if (outcome.reason === "gone") {
          this.#state = "backoff";
          await this.#sleep(backoff.next());
        }
        continue;
      }
      // The server's timeoutSeconds ended a healthy watch: resume from its last resourceVersion now.
      if (outcome.reason === "closed" && outcome.received > 0) continue;
      if (outcome.reason !== "closed") {
        this.#log?.warn(
          { resource: this.#resource, reason: outcome.reason, err: describe(outcome.error) },
          "watch interrupted; restarting",
        );
      }
      this.#state = "backoff";
      await this.#sleep(backoff.next());
    }
    this.#state = "stopped";
  }

  async #watchOnce(rv: string, setRv: (rv: string) => void): Promise<WatchOutcome> {
    const abort = new AbortController();
    const onStop = () => abort.abort();
    this.#stop.signal.addEventListener("abort", onStop, { once: true });
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        abort.abort();
      }, this.#opts.silenceTimeoutMs);
    };
    let received = 0;
    try {
      arm();
      const body = await this.#client.client.stream(
        resourcePath(this.#client.type, { namespace: this.#namespace }),
        {
          watch: true,
          resourceVersion: rv,
          allowWatchBookmarks: true,
          labelSelector: this.#labelSelector,
          timeoutSeconds: this.#opts.serverTimeoutSeconds(),
        },
        abort.signal,
        this.#client.watchAccept,
      );
      this.#alive();
      arm();
      let buffered = "";
      body.setEncoding("utf8");
      for await (const chunk of body as AsyncIterable<string>) {
        arm();
        buffered += chunk;
        let nl = buffered.indexOf("\n");
        while (nl >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf("\n");
          if (line === "") continue;
          const ev = JSON.parse(line) as { type?: string; object?: KubernetesObject & { code?: number } };
          const obj = ev.object;
          if (ev.type === "ERROR") {
            const code = obj?.code ?? 0;
            return {
              reason: code === 410 ? "gone" : "error",
              received,
              error: ApiError.fromStatus(code, obj, "watch error"),
            };
          }
          const nextRv = obj?.metadata?.resourceVersion;
          if (!obj || !nextRv)
            return {
              reason: "error",
              received,
              error: new Error(`malformed watch event: ${line.slice(0, 200)}`),
            };
          this.#alive();
          if (ev.type === "BOOKMARK") {
            setRv(nextRv);
            received++;
            continue;
          }
          if (ev.type !== "ADDED" && ev.type !== "MODIFIED" && ev.type !== "DELETED") {
            return { reason: "error", received, error: new Error(`unknown watch event type ${ev.type}`) };
          }
          setRv(nextRv);
          received++;
          this.#sink.event(ev.type, obj as T);
        }
      }
      return { reason: stalled ? "stalled" : "closed", received };
    } catch (err) {
      if (stalled) return { reason: "stalled", received };
      if (isApiError(err, 410)) return { reason: "gone", received, error: err };
      if (isApiError(err, 404)) return { reason: "absent", received, error: err };
      return { reason: "error", received, error: err };
    } finally {
      clearTimeout(timer);
      abort.abort();
      this.#stop.signal.removeEventListener("abort", onStop);
    }
  }

  async #sleep(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.#stop.signal });
    } catch {
      // stopped
    }
  }
}

function describe(err: unknown): string | undefined {
  if (err === undefined) return undefined;
  return err instanceof Error ? err.message : String(err);
}
