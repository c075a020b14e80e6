/**
 * `npm run dashboards:preview` against a real Prometheus on loopback scraping real greeter processes (no
 * operator, no kube-state-metrics): one PNG per dashboard, laid out on the dashboard's own grid, every panel
 * titled, every panel whose queries return data drawing it, and every panel whose queries return nothing
 * showing Grafana's "No data". Set DASHBOARDS_PREVIEW_OUT to keep the PNGs (the docs' picture comes from it).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import type { Dashboard, Panel } from "@grafana/grafana-foundation-sdk/dashboard";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Box } from "../../dashboards/preview/model.ts";
import {
  type DashboardPreview,
  defaultDashboards,
  renderDashboardPreviews,
} from "../../dashboards/preview/render.ts";
import { startChildGreeter } from "../support/greeter-server.ts";
import { startTraffic } from "../support/greeter-traffic.ts";
import { type LivePrometheus, startLivePrometheus } from "../support/live-prometheus.ts";
import { colourfulPixels, readPng } from "../support/png-pixels.ts";

const GREETERS: Array<{ namespace: string; job: string; pod: string; env?: Record<string, string> }> = [
  { namespace: "shop", job: "hello", pod: "hello-5c9d7b-x2k4p" },
  { namespace: "shop", job: "hello", pod: "hello-5c9d7b-q8w1z" },
  { namespace: "lobby", job: "hola", pod: "hola-7f6b8c-m3n5v", env: { GREETING: "Hola, {name}" } },
];
const WIDTH = 1600;
const SCALE = 1;
// Seconds of scraped history before rendering (more for a picture worth keeping), and the range drawn:
// slightly longer, so the charts start where the data does, as a fresh Prometheus would show them.
const HISTORY_SECONDS = Number(process.env.DASHBOARDS_PREVIEW_HISTORY_SECONDS ?? 30);
const RANGE_SECONDS = HISTORY_SECONDS + 10;

const grow = (box: Box, by: number): Box => ({
  x: box.x - by,
  y: box.y - by,
  width: box.width + 2 * by,
  height: box.height + 2 * by,
});

type Greeter = Awaited<ReturnType<typeof startChildGreeter>>;

describe("dashboard previews from a real Prometheus scraping real greeters", () => {
  let prom: LivePrometheus;
  const greeters: Greeter[] = [];
  const kept = process.env.DASHBOARDS_PREVIEW_OUT;
  const outDir = kept ? resolve(kept) : mkdtempSync(join(tmpdir(), "dashboards-preview-"));
  let previews: DashboardPreview[];

  beforeAll(
    async () => {
      for (const g of GREETERS) greeters.push(await startChildGreeter({ VERSION: "0.1.0-test", ...g.env }));
      prom = await startLivePrometheus({
        targets: GREETERS.map((g, i) => ({
          address: new URL(greeters[i]?.metricsUrl ?? "").host,
          labels: { namespace: g.namespace, job: g.job, pod: g.pod },
        })),
      });
      const traffic = startTraffic(greeters.map((g) => g.url));
      try {
        await prom.waitForData(
          `min(count_over_time(up[${HISTORY_SECONDS + 5}s])) >= ${HISTORY_SECONDS} and min(up) == 1`,
          (HISTORY_SECONDS + 60) * 1000,
        );
        await prom.waitForData('count(rate(http_requests_total{status_code="404"}[15s]) > 0) == 3', 60_000);
        previews = await renderDashboardPreviews({
          prometheusUrl: prom.url,
          outDir,
          rangeSeconds: RANGE_SECONDS,
          scrapeSeconds: 1,
          width: WIDTH,
          scale: SCALE,
        });
      } finally {
        await traffic.stop();
      }
    },
    // The waits above have their own deadlines and say what was missing; the hook's limit only has to stay
    // out of their way, with room for a headless browser on two busy cores.
    (HISTORY_SECONDS + 60 + 60 + 300) * 1000,
  );

  afterAll(async () => {
    await prom?.stop();
    for (const g of greeters) {
      g.child.kill("SIGTERM");
      await g.exited;
    }
    if (!kept) rmSync(outDir, { recursive: true, force: true });
  });

  const dashboards = defaultDashboards().map((file) => ({
    file,
    name: basename(file),
    json: JSON.parse(readFileSync(file, "utf8")) as Dashboard,
  }));
  const previewOf = (file: string) => {
    const found = previews.find((p) => p.source === file);
    if (!found) throw new Error(`no preview of ${file}`);
    return found;
  };

  it("writes one PNG per dashboard, named after its JSON file", () => {
    expect(readdirSync(outDir).sort()).toEqual(
      dashboards.map((d) => `${basename(d.file, ".json")}.png`).sort(),
    );
  });

  describe.each(dashboards)("$name", ({ file, json }) => {
    const panels = (json.panels ?? []) as Panel[];

    it("is a valid PNG at the page's width and the height its grid needs", () => {
      const preview = previewOf(file);
      const image = readPng(preview.png);
      expect([image.width, image.height]).toEqual([WIDTH * SCALE, preview.height]);
      const bottom = Math.max(...preview.panels.map((p) => p.box.y + p.box.height));
      // Below the last panel: only the page's bottom padding.
      expect(preview.page.height - bottom).toBeGreaterThanOrEqual(0);
      expect(preview.page.height - bottom).toBeLessThanOrEqual(24);
    });

    it("places every panel, titled, where its gridPos puts it on Grafana's 24-column grid", () => {
      const preview = previewOf(file);
      expect(preview.panels.map((p) => p.renderedTitle)).toEqual(panels.map((p) => p.title));
      // Grafana's grid: 24 columns with 8 px gaps across the page (16 px padding each side), 30 px rows.
      const column = (WIDTH - 2 * 16 - 23 * 8) / 24;
      const top = Math.min(...preview.panels.map((p) => p.box.y));
      // Chromium lays out in 1/64 px; the grid's fractions here are thirds, never near a half.
      const at = (n: number) => Math.round(n);
      expect(
        preview.panels.map((p) => ({
          title: p.title,
          x: at(p.box.x),
          y: at(p.box.y - top),
          w: at(p.box.width),
          h: at(p.box.height),
        })),
      ).toEqual(
        panels.map((p) => {
          const { x, y, w, h } = { x: 0, y: 0, w: 12, h: 8, ...p.gridPos };
          return {
            title: p.title,
            x: at(16 + x * (column + 8)),
            y: at(y * 38),
            w: at(w * column + (w - 1) * 8),
            h: h * 30 + (h - 1) * 8,
          };
        }),
      );
    });

    it('draws every panel whose queries returned data, and shows "No data" for the others', () => {
      const preview = previewOf(file);
      const image = readPng(preview.png);
      for (const panel of preview.panels.filter((p) => p.shown !== "row")) {
        const returned = panel.queries.reduce((n, q) => n + q.series, 0);
        const seen = {
          title: panel.title,
          shown: panel.shown,
          message: panel.message,
          errors: panel.queries.filter((q) => q.error).map((q) => q.error),
        };
        if (returned > 0) {
          expect(seen).toEqual({
            title: panel.title,
            shown: panel.type === "state-timeline" ? "timeline" : "chart",
            message: undefined,
            errors: [],
          });
          expect(panel.points, panel.title).toBeGreaterThan(0);
          expect(panel.plot, panel.title).toBeDefined();
          // Grown by a line width: a line at the scale's edge (a flat 0) is drawn centred on the edge.
          const plot = grow(panel.plot ?? panel.box, 2);
          expect(colourfulPixels(image, plot, preview.scale), panel.title).toBeGreaterThan(50);
        } else {
          expect(seen).toEqual({ title: panel.title, shown: "no data", message: "No data", errors: [] });
          expect(colourfulPixels(image, panel.box, preview.scale), panel.title).toBe(0);
        }
      }
    });
  });

  it("shows the greeters' traffic on 'Greeter instances', with legends from legendFormat", () => {
    const preview = previewOf(defaultDashboards().find((f) => f.endsWith("greeter-instances.json")) ?? "");
    const panel = (title: string) => preview.panels.find((p) => p.title === title);
    expect(preview.panels.filter((p) => p.shown !== "row").map((p) => [p.title, p.shown])).toEqual(
      preview.panels.filter((p) => p.shown !== "row").map((p) => [p.title, "chart"]),
    );
    expect(panel("Greetings per second")?.legend).toEqual(["hello", "hola"]);
    expect(panel("In-flight requests")?.legend.sort()).toEqual(GREETERS.map((g) => g.pod).sort());
    expect(panel("Error ratio (4xx and 5xx)")?.legend.sort()).toEqual([
      "hello 4xx",
      "hello 5xx",
      "hola 4xx",
      "hola 5xx",
    ]);
    // kube-state-metrics does not run here: only the scraped-and-up series of the replicas panel has data.
    expect(panel("Replicas: desired vs ready vs scraped")?.legend).toEqual([
      "hello scraped and up",
      "hola scraped and up",
    ]);
  });

  it('shows "No data" on the operator\'s reconcile panels, as no operator runs here', () => {
    const preview = previewOf(defaultDashboards().find((f) => f.endsWith("greeter-operator.json")) ?? "");
    const shown = Object.fromEntries(preview.panels.map((p) => [p.title, p.message ?? p.shown]));
    expect(shown["Reconcile rate by result"]).toBe("No data");
    expect(shown["Leader per pod"]).toBe("No data");
    expect(shown["Work queue depth"]).toBe("No data");
  });
});
