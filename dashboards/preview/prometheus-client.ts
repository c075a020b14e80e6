/**
 * The two Prometheus HTTP API calls a Grafana dashboard makes: label values for its variables and range
 * queries for its panels. Queries are POSTed as forms, as Grafana does, so long expressions hit no URL limit.
 */

export type RangeSeries = { metric: Record<string, string>; values: Array<[number, string]> };

export type RangeResult = { ok: true; series: RangeSeries[] } | { ok: false; error: string };

export type PrometheusClient = {
  url: string;
  labelValues(label: string, selector: string, start: number, end: number): Promise<string[]>;
  queryRange(expr: string, start: number, end: number, step: number): Promise<RangeResult>;
};

type ApiBody<T> = { status: "success"; data: T } | { status: "error"; errorType?: string; error?: string };

export function prometheusClient(baseUrl: string, timeoutMs = 30_000): PrometheusClient {
  const url = baseUrl.replace(/\/+$/, "");
  if (!/^https?:\/\//.test(url)) throw new Error(`--prometheus must be an http(s) URL, got ${baseUrl}`);

  // The label-values endpoint answers GET only; queries go as POSTed forms.
  async function call<T>(
    method: "GET" | "POST",
    path: string,
    form: Record<string, string>,
  ): Promise<ApiBody<T>> {
    const params = new URLSearchParams(form);
    let response: Response;
    try {
      response = await fetch(method === "GET" ? `${url}${path}?${params}` : `${url}${path}`, {
        method,
        ...(method === "POST" ? { body: params } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new Error(`Prometheus at ${url} cannot be reached: ${(err as Error).cause ?? err}`);
    }
    const text = await response.text();
    try {
      return JSON.parse(text) as ApiBody<T>;
    } catch {
      throw new Error(
        `${url}${path} answered ${response.status} without the API's JSON: ${text.slice(0, 200)}`,
      );
    }
  }

  return {
    url,
    async labelValues(label, selector, start, end) {
      const body = await call<string[]>("GET", `/api/v1/label/${encodeURIComponent(label)}/values`, {
        "match[]": selector,
        start: String(start),
        end: String(end),
      });
      if (body.status !== "success") throw new Error(`label_values(${selector}, ${label}): ${body.error}`);
      return body.data;
    },
    async queryRange(expr, start, end, step) {
      const body = await call<{ result: RangeSeries[] }>("POST", "/api/v1/query_range", {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(step),
      });
      if (body.status !== "success") return { ok: false, error: `${body.errorType}: ${body.error}` };
      return { ok: true, series: body.data.result };
    },
  };
}
