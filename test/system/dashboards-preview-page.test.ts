/**
 * The preview page in headless Chromium on models built here, for what the live test cannot provoke: a
 * state timeline with its value mappings (no operator runs there), a query Prometheus rejected, a panel type
 * the preview does not draw, and text from a dashboard or a label that looks like markup.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DashboardModel, PageReport, PanelModel, PanelReport } from "../../dashboards/preview/model.ts";
import { renderModel } from "../../dashboards/preview/page-render.ts";
import { type Image, pixelsOfHue, readPng } from "../support/png-pixels.ts";

const times = Array.from({ length: 8 }, (_, i) => 1_780_000_000 + 15 * i);
const MARKUP = '<img src="http://example.invalid/x.png" onerror="document.title=1">';

function panel(spec: Partial<PanelModel> & Pick<PanelModel, "type" | "title" | "gridPos">): PanelModel {
  return {
    unit: "short",
    fillOpacity: 10,
    lineWidth: 1,
    showLegend: true,
    mappings: [],
    times,
    series: [],
    queries: [{ refId: "A", expr: "up", series: spec.series?.length ?? 0, points: 0 }],
    ...spec,
  };
}

const MODEL: DashboardModel = {
  title: "Page test",
  width: 1200,
  stamp: ["stamp line", "A preview rendered by greeter-operator"],
  panels: [
    panel({
      type: "state-timeline",
      title: "Leader per pod",
      gridPos: { x: 0, y: 0, w: 12, h: 8 },
      unit: "none",
      showLegend: false,
      mappings: [
        { value: "0", text: "standby", color: "blue" },
        { value: "1", text: "leader", color: "green" },
      ],
      series: [
        { name: "operator-a", values: [1, 1, 1, 1, 1, 0, 0, 0] },
        { name: "operator-b", values: [0, 0, 0, 0, 0, 1, 1, 1] },
      ],
    }),
    panel({
      type: "timeseries",
      title: "Broken query",
      gridPos: { x: 12, y: 0, w: 12, h: 8 },
      queries: [
        { refId: "A", expr: "rate(x[", series: 0, points: 0, error: "bad_data: unclosed left bracket" },
      ],
    }),
    panel({
      type: "stat",
      title: "A stat panel",
      gridPos: { x: 0, y: 8, w: 12, h: 4 },
      series: [{ name: "x", values: times.map(() => 1) }],
    }),
    panel({
      type: "timeseries",
      title: MARKUP,
      gridPos: { x: 12, y: 8, w: 12, h: 8 },
      series: [{ name: MARKUP, values: times.map((_, i) => i) }],
    }),
  ],
};

describe("the preview page", () => {
  const dir = mkdtempSync(join(tmpdir(), "dashboards-preview-page-"));
  const png = join(dir, "page.png");
  let report: PageReport;
  let image: Image;
  const shown = (title: string): PanelReport => {
    const found = report.panels.find((p) => p.title === title);
    if (!found) throw new Error(`no panel ${title}`);
    return found;
  };

  beforeAll(async () => {
    // Throws if the page asked for anything (the markup's image included) or threw.
    report = await renderModel(MODEL, png);
    image = readPng(png);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is a PNG as wide as the page and as tall as its panels, whatever the browser window", () => {
    const bottom = Math.max(...report.panels.map((p) => p.box.y + p.box.height));
    expect([image.width, image.height]).toEqual([1200, report.height]);
    expect(report.height - bottom).toBeGreaterThanOrEqual(16);
    expect(report.height - bottom).toBeLessThan(18);
  });

  it("draws a state timeline: a lane per series, bars labelled and coloured by the value mappings", () => {
    const timeline = shown("Leader per pod");
    expect([timeline.shown, timeline.legend, timeline.states?.sort()]).toEqual([
      "timeline",
      ["operator-a", "operator-b"],
      ["leader", "standby"],
    ]);
    const plot = timeline.plot ?? timeline.box;
    expect(pixelsOfHue(image, plot, 1, "green")).toBeGreaterThan(1000);
    expect(pixelsOfHue(image, plot, 1, "blue")).toBeGreaterThan(1000);
  });

  it("shows a rejected query's error in its panel instead of a chart", () => {
    expect([shown("Broken query").shown, shown("Broken query").message]).toEqual([
      "error",
      "Query error: A: bad_data: unclosed left bracket",
    ]);
  });

  it("says so on a panel type it does not draw", () => {
    expect(shown("A stat panel").message).toBe('Panel type "stat" is not previewed');
  });

  it("renders titles and legends that look like markup as text", () => {
    expect([shown(MARKUP).renderedTitle, shown(MARKUP).legend]).toEqual([MARKUP, [MARKUP]]);
  });
});
