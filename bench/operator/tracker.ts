/**
 * The bench's view of the cluster, from its own watches (not polling lists, which would load the API server
 * being measured): per Greeter its generation, observedGeneration and Ready; per child whether it exists and,
 * for Deployments, the GREETING env and ready replicas. Objects are reduced to those few fields.
 */
import type { BenchApi } from "./api.ts";

interface Meta {
  name: string;
  namespace: string;
  generation?: number;
  resourceVersion: string;
}
interface RawObject {
  metadata: Meta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface GreeterView {
  generation: number;
  observedGeneration: number;
  ready: boolean;
}
export interface DeploymentView {
  greeting: string | undefined;
  readyReplicas: number;
}

class Watch<V> {
  readonly items = new Map<string, V>();
  readonly #api: BenchApi;
  readonly #path: string;
  readonly #selector: string;
  readonly #view: (o: RawObject) => V;
  readonly #abort = new AbortController();
  synced = false;
  /** Called after every event (cheap: the bench re-checks its predicate then). */
  onChange: () => void = () => {};

  constructor(api: BenchApi, path: string, selector: string, view: (o: RawObject) => V) {
    this.#api = api;
    this.#path = path;
    this.#selector = selector;
    this.#view = view;
  }

  start(): Promise<void> {
    return new Promise((resolve) => {
      void this.#run(resolve);
    });
  }

  stop(): void {
    this.#abort.abort();
  }

  async #run(synced: () => void): Promise<void> {
    const sel = this.#selector ? `&labelSelector=${encodeURIComponent(this.#selector)}` : "";
    while (!this.#abort.signal.aborted) {
      try {
        let rv = "";
        let cont = "";
        this.items.clear();
        do {
          const list = await this.#api.json<{
            items: RawObject[];
            metadata: { resourceVersion: string; continue?: string };
          }>("GET", `${this.#path}?limit=1000${sel}${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`);
          for (const o of list.items) this.items.set(key(o), this.#view(o));
          rv = list.metadata.resourceVersion;
          cont = list.metadata.continue ?? "";
        } while (cont);
        this.synced = true;
        synced();
        this.onChange();
        const body = await this.#api.stream(
          `${this.#path}?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}${sel}`,
          this.#abort.signal,
        );
        let buf = "";
        for await (const chunk of body) {
          buf += chunk.toString();
          let nl = buf.indexOf("\n");
          while (nl >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            nl = buf.indexOf("\n");
            if (!line.trim()) continue;
            const ev = JSON.parse(line) as { type: string; object: RawObject };
            if (ev.type === "ADDED" || ev.type === "MODIFIED")
              this.items.set(key(ev.object), this.#view(ev.object));
            else if (ev.type === "DELETED") this.items.delete(key(ev.object));
            else if (ev.type === "ERROR") throw new Error(`watch error: ${line.slice(0, 200)}`);
          }
          this.onChange();
        }
      } catch (err) {
        if (this.#abort.signal.aborted) return;
        process.stderr.write(`[bench] watch ${this.#path}: ${(err as Error).message}; relisting\n`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

const key = (o: RawObject) => `${o.metadata.namespace}/${o.metadata.name}`;

function firstSeen(seen: Map<string, number>, o: RawObject): void {
  const k = key(o);
  if (!seen.has(k)) seen.set(k, performance.now());
}

/** p50, p90 and max of `values` (ms), or undefined when there are none. */
export interface Spread {
  count: number;
  p50: number;
  p90: number;
  max: number;
}

function spread(values: number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const sorted = values.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1] as number };
}

export class Tracker {
  /**
   * When (performance.now) the bench first saw a Deployment with a ready replica, and its Greeter Ready at its
   * current generation: the gap is how long a user waits for `kubectl wait` after the pod already serves.
   */
  readonly #podReadySeen = new Map<string, number>();
  readonly #greeterReadySeen = new Map<string, number>();
  readonly greeters: Watch<GreeterView>;
  readonly deployments: Watch<DeploymentView>;
  readonly services: Watch<true>;
  readonly serviceMonitors: Watch<true>;

  constructor(api: BenchApi, childLabel: string) {
    this.greeters = new Watch(api, "/apis/greeter.operator.dev/v1alpha1/greeters", "", (o) => {
      const status = (o.status ?? {}) as {
        observedGeneration?: number;
        conditions?: { type: string; status: string }[];
      };
      const view = {
        generation: o.metadata.generation ?? 0,
        observedGeneration: status.observedGeneration ?? -1,
        ready: status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
      };
      if (view.ready && view.observedGeneration === view.generation) firstSeen(this.#greeterReadySeen, o);
      return view;
    });
    this.deployments = new Watch(api, "/apis/apps/v1/deployments", childLabel, (o) => {
      const spec = o.spec as {
        template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } };
      };
      const view = {
        greeting: spec.template?.spec?.containers?.[0]?.env?.find((e) => e.name === "GREETING")?.value,
        readyReplicas: ((o.status ?? {}) as { readyReplicas?: number }).readyReplicas ?? 0,
      };
      if (view.readyReplicas >= 1) firstSeen(this.#podReadySeen, o);
      return view;
    });
    this.services = new Watch(api, "/api/v1/services", childLabel, () => true as const);
    this.serviceMonitors = new Watch(
      api,
      "/apis/monitoring.coreos.com/v1/servicemonitors",
      childLabel,
      () => true as const,
    );
  }

  get all() {
    return [this.greeters, this.deployments, this.services, this.serviceMonitors] as Watch<unknown>[];
  }

  async start(): Promise<void> {
    await Promise.all(this.all.map((w) => w.start()));
  }

  stop(): void {
    for (const w of this.all) w.stop();
  }

  /** Greeters (of `expected`) not yet converged; with `greeting`, their Deployment must also carry it. */
  pending(expected: readonly string[], greeting?: string): number {
    let n = 0;
    for (const k of expected) {
      const g = this.greeters.items.get(k);
      const d = this.deployments.items.get(k);
      const ok =
        g?.ready === true &&
        g.observedGeneration === g.generation &&
        d !== undefined &&
        (greeting === undefined || d.greeting === greeting) &&
        this.services.items.has(k) &&
        this.serviceMonitors.items.has(k);
      if (!ok) n++;
    }
    return n;
  }

  /** Deployments of `expected` with all (1) replicas ready: kwok's side of the work. */
  podsReady(expected: readonly string[]): number {
    let n = 0;
    for (const k of expected) if ((this.deployments.items.get(k)?.readyReplicas ?? 0) >= 1) n++;
    return n;
  }

  /**
   * For the Greeters of `expected` that became Ready: how long after their pod (ms). Only the first time
   * each was seen counts, so call it after the first convergence.
   */
  readyAfterPod(expected: readonly string[]): Spread | undefined {
    const lags: number[] = [];
    for (const k of expected) {
      const pod = this.#podReadySeen.get(k);
      const greeter = this.#greeterReadySeen.get(k);
      if (pod !== undefined && greeter !== undefined) lags.push(Math.max(0, greeter - pod));
    }
    return spread(lags);
  }

  /**
   * Resolves with the time (ms, performance.now) of the event after which `done()` held, or rejects after
   * `timeoutMs`. Checks are batched (at most every 100 ms) so the bench's O(N) predicate does not compete
   * with the operator for the CPU; the time reported is that of the last event before the check.
   */
  until(done: () => boolean, timeoutMs: number, progress?: () => string): Promise<number> {
    return new Promise((resolve, reject) => {
      let lastEvent = performance.now();
      let lastProgress = performance.now();
      let scheduled: NodeJS.Timeout | undefined;
      const check = () => {
        scheduled = undefined;
        if (done()) {
          finish();
          resolve(lastEvent);
        } else if (progress && performance.now() - lastProgress > 15_000) {
          lastProgress = performance.now();
          process.stderr.write(`[bench]   ${progress()}\n`);
        }
      };
      const onChange = () => {
        lastEvent = performance.now();
        scheduled ??= setTimeout(check, 100);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs / 1000}s${progress ? `: ${progress()}` : ""}`));
      }, timeoutMs);
      const ticker = setInterval(() => (scheduled ??= setTimeout(check, 0)), 2000);
      const finish = () => {
        clearTimeout(timer);
        clearInterval(ticker);
        if (scheduled) clearTimeout(scheduled);
        for (const w of this.all) w.onChange = () => {};
      };
      for (const w of this.all) w.onChange = onChange;
      check();
    });
  }
}
