/**
 * The in-cluster Prometheus (`prometheus-operated` in `monitoring`, hack/monitoring/install.sh) through a
 * port-forward: the HTTP API calls the e2e tests make, shaped like test/support/live-prometheus.ts so the
 * dashboard evaluation runs against either.
 */
import type { LivePrometheus, QueryResult } from "../support/live-prometheus.ts";
import { portForward } from "./port-forward.ts";

export interface Target {
  labels: Record<string, string>;
  health: string;
  scrapePool: string;
  scrapeUrl: string;
  lastError?: string;
}
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}
export interface RuleState {
  name: string;
  type: string;
  /** "inactive" | "pending" | "firing" */
  state: string;
  labels?: Record<string, string>;
  alerts?: Array<{ labels: Record<string, string>; state: string; activeAt?: string }>;
}
export interface RuleGroup {
  name: string;
  file: string;
  rules: RuleState[];
}

export type ClusterPrometheus = Omit<LivePrometheus, "waitForData"> & {
  /** GET an API path; the `data` of a successful answer, else an error with Prometheus's message. */
  api<T>(path: string): Promise<T>;
  instant(expr: string): Promise<VectorSample[]>;
  activeTargets(): Promise<Target[]>;
  ruleGroups(): Promise<RuleGroup[]>;
};

/** Through a new port-forward, or at `url` when one is given (a port-forward of your own, for debugging). */
export async function clusterPrometheus(url?: string): Promise<ClusterPrometheus> {
  const forward = url
    ? { url, close: async () => undefined }
    : await portForward("monitoring", "service/prometheus-operated", 9090);
  const raw = async (path: string, params: Record<string, string> = {}): Promise<QueryResult> => {
    const qs = new URLSearchParams(params).toString();
    const res = await fetch(`${forward.url}${path}${qs ? `?${qs}` : ""}`);
    return (await res.json()) as QueryResult;
  };
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${forward.url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (res.status !== 200 || body.status !== "success")
      throw new Error(`${path}: ${res.status} ${body.error ?? ""}`);
    return body.data;
  };
  return {
    url: forward.url,
    api,
    query: (expr, time) =>
      raw("/api/v1/query", { query: expr, ...(time === undefined ? {} : { time: String(time) }) }),
    queryRange: (expr, start, end, step) =>
      raw("/api/v1/query_range", {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(step),
      }),
    labelValues: (label, selector) =>
      api<string[]>(`/api/v1/label/${label}/values?${new URLSearchParams({ "match[]": selector })}`),
    instant: (expr) =>
      api<{ result: VectorSample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`).then(
        (d) => d.result,
      ),
    activeTargets: () =>
      api<{ activeTargets: Target[] }>("/api/v1/targets?state=active").then((d) => d.activeTargets),
    ruleGroups: () => api<{ groups: RuleGroup[] }>("/api/v1/rules?type=alert").then((d) => d.groups),
    stop: () => forward.close(),
  };
}
