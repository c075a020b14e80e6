/**
 * `npm run dashboards:preview -- --prometheus <url> [--out <dir>] [--range 1h] [--scrape-interval 15s]
 * [--width 1600] [--scale 1] [--chromium /usr/bin/chromium] [dashboard.json ...]`: one PNG per dashboard,
 * and a line per panel saying what it shows.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { renderDashboardPreviews } from "./render.ts";
import { parseDuration } from "./time-range.ts";

const USAGE =
  "usage: npm run dashboards:preview -- --prometheus <url> [--out .tmp/dashboards-preview] [--range 1h] [--scrape-interval 15s] [--width 1600] [--scale 1] [--chromium /usr/bin/chromium] [dashboards/x.json ...]";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    prometheus: { type: "string" },
    out: { type: "string", default: ".tmp/dashboards-preview" },
    range: { type: "string" },
    "scrape-interval": { type: "string", default: "15s" },
    width: { type: "string", default: "1600" },
    scale: { type: "string", default: "1" },
    chromium: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help || !values.prometheus) {
  console.error(
    values.help ? USAGE : `--prometheus is required (e.g. a port-forward to prometheus-operated)\n${USAGE}`,
  );
  process.exit(values.help ? 0 : 2);
}

const previews = await renderDashboardPreviews({
  prometheusUrl: values.prometheus,
  outDir: resolve(values.out),
  scrapeSeconds: parseDuration(values["scrape-interval"]),
  width: Number(values.width),
  scale: Number(values.scale),
  ...(values.range ? { rangeSeconds: parseDuration(values.range) } : {}),
  ...(values.chromium ? { chromium: values.chromium } : {}),
  ...(positionals.length > 0 ? { dashboards: positionals.map((p) => resolve(p)) } : {}),
}).catch((err: Error) => {
  // A missing Chromium or an unreachable Prometheus is the user's to fix: the message, not a stack.
  console.error(`dashboards:preview: ${err.message}`);
  process.exit(1);
});

for (const preview of previews) {
  console.log(`${preview.png} (${preview.width}×${preview.height}): ${preview.title}`);
  for (const panel of preview.panels) {
    if (panel.shown === "row") continue;
    const detail = panel.message ?? `${panel.series} series, ${panel.points} points`;
    console.log(`  ${panel.shown.padEnd(8)} ${panel.title}: ${detail}`);
  }
}
