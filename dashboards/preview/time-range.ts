/**
 * Grafana's time arithmetic for a Prometheus panel: the dashboard's relative range ("now-1h"), the query
 * step ($__interval: range over the panel's width in pixels, rounded to a tidy interval, never below the
 * data source's scrape interval) and $__rate_interval (max($__interval + scrape interval, 4 × scrape
 * interval)).
 */

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** "30s", "5m", "1h", "2d" → seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhdw])$/.exec(text.trim());
  const unit = m?.[2] ? UNIT_SECONDS[m[2]] : undefined;
  if (!m || unit === undefined) throw new Error(`not a duration like 30s, 5m, 1h: ${JSON.stringify(text)}`);
  return Number(m[1]) * unit;
}

/** A dashboard's `time.from` ("now-1h") as the length of the range in seconds; only "now"-relative ranges. */
export function relativeRangeSeconds(from: string, to = "now"): number {
  const m = /^now-(\d+[smhdw])$/.exec(from.trim());
  if (!m?.[1] || to.trim() !== "now")
    throw new Error(`only ranges like now-1h … now are supported: ${from} … ${to}`);
  return parseDuration(m[1]);
}

// The steps Grafana's interval rounding lands on (kbn.roundInterval), in seconds.
const TIDY_STEPS = [
  1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
];

export function queryStep(rangeSeconds: number, widthPx: number, scrapeSeconds: number): number {
  const raw = rangeSeconds / Math.max(1, Math.floor(widthPx));
  const tidy = TIDY_STEPS.find((s) => s >= raw) ?? 86_400 * Math.ceil(raw / 86_400);
  return Math.max(tidy, scrapeSeconds);
}

export function rateInterval(stepSeconds: number, scrapeSeconds: number): string {
  return `${Math.max(stepSeconds + scrapeSeconds, 4 * scrapeSeconds)}s`;
}

/** Grafana aligns a range query's start and end to the step, so the points land on the same grid each time. */
export function alignedRange(endSeconds: number, rangeSeconds: number, step: number) {
  const end = Math.floor(endSeconds / step) * step;
  const start = Math.floor((end - rangeSeconds) / step) * step;
  return { start, end };
}
