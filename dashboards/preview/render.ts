/**
 * Renders dashboards to PNGs from a live Prometheus: the data is fetched here (collect.ts), the page draws
 * it in headless Chromium (page-render.ts, browser/), and each dashboard becomes <out>/<dashboard file name>.png.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { DEFAULT_CHROMIUM, launchChromium } from "./chromium.ts";
import { collectDashboard } from "./collect.ts";
import type { PanelReport, QueryData } from "./model.ts";
import { renderPage } from "./page-render.ts";
import { prometheusClient } from "./prometheus-client.ts";

export const DASHBOARDS_DIR = resolve(import.meta.dirname, "..");

export type PreviewOptions = {
  /** Base URL of the Prometheus HTTP API, e.g. http://127.0.0.1:9090 (a port-forward to prometheus-operated). */
  prometheusUrl: string;
  /** Where the PNGs go; created if missing. */
  outDir: string;
  /** Dashboard JSON files; default every dashboards/*.json. */
  dashboards?: string[];
  /** Overrides each dashboard's own time range (seconds). */
  rangeSeconds?: number;
  /** The scrape interval Grafana's data source would be set to, the floor of every query step. Default 15. */
  scrapeSeconds?: number;
  /** Page width in CSS pixels. Default 1600. */
  width?: number;
  /** Device pixels per CSS pixel in the PNG. Default 1. */
  scale?: number;
  /** Default /usr/bin/chromium. */
  chromium?: string;
};

export type PanelPreview = PanelReport & { queries: QueryData[] };

export type DashboardPreview = {
  title: string;
  /** The dashboard JSON it was rendered from. */
  source: string;
  png: string;
  /** The PNG's size in device pixels. */
  width: number;
  height: number;
  /** The page's size in CSS pixels; panel boxes are in these. */
  page: { width: number; height: number };
  scale: number;
  panels: PanelPreview[];
};

export function defaultDashboards(): string[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => join(DASHBOARDS_DIR, f));
}

export async function renderDashboardPreviews(options: PreviewOptions): Promise<DashboardPreview[]> {
  const prom = prometheusClient(options.prometheusUrl);
  const width = options.width ?? 1600;
  const scale = options.scale ?? 1;
  mkdirSync(options.outDir, { recursive: true });
  const browser = await launchChromium(options.chromium ?? DEFAULT_CHROMIUM, scale);
  const previews: DashboardPreview[] = [];
  try {
    for (const file of options.dashboards ?? defaultDashboards()) {
      const dashboard = JSON.parse(readFileSync(file, "utf8")) as Dashboard;
      const model = await collectDashboard(prom, dashboard, {
        pageWidth: width,
        scrapeSeconds: options.scrapeSeconds ?? 15,
        ...(options.rangeSeconds === undefined ? {} : { rangeSeconds: options.rangeSeconds }),
      });
      const png = join(options.outDir, `${basename(file, ".json")}.png`);
      const report = await renderPage(browser.context, model, png);
      previews.push({
        title: model.title,
        source: file,
        png,
        width: Math.round(report.width * scale),
        height: Math.round(report.height * scale),
        page: { width: report.width, height: report.height },
        scale,
        panels: report.panels.map((panel, i) => ({ ...panel, queries: model.panels[i]?.queries ?? [] })),
      });
    }
  } finally {
    await browser.close();
  }
  return previews;
}
