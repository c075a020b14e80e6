/// <reference lib="dom" />
/**
 * The preview page: reads the dashboard model the Node side embedded (data already fetched; the page makes
 * no requests), stamps the title and provenance lines, places every panel on Grafana's grid, draws it, and
 * leaves a report of what each panel shows in `window.__previewReport` for the Node side to collect.
 * Every text from the dashboard or from Prometheus labels is set as text, never as markup.
 */
import type { Box, DashboardModel, PageReport, PanelModel, PanelReport, Shown } from "../model.ts";
import { gridHeight, panelBox } from "./layout.ts";
import { drawStateTimeline } from "./state-timeline.ts";
import { drawTimeseries, legendList } from "./timeseries.ts";

type PreviewWindow = Window & { __previewReport?: PageReport; __previewError?: string };

/** A drawn panel, measured once the page has laid out (uPlot sizes its canvas after a microtask). */
type Drawn = {
  panel: PanelModel;
  shown: Shown;
  el: HTMLElement;
  title: string;
  message?: string;
  plot?: Element;
};

async function render(model: DashboardModel): Promise<PageReport> {
  document.body.style.width = `${model.width}px`;
  const stamp = element("header", "stamp");
  const title = element("h1");
  title.textContent = model.title;
  stamp.append(title);
  model.stamp.forEach((line, i) => {
    const p = element("p", i === model.stamp.length - 1 ? "notice" : undefined);
    p.textContent = line;
    stamp.append(p);
  });
  const grid = element("main", "grid");
  // A collapsed row keeps its panels inside it (row.panels), so the top level is exactly what Grafana shows.
  grid.style.height = `${gridHeight(model.panels.map((p) => p.gridPos))}px`;
  document.body.append(stamp, grid);
  const drawn = model.panels.map((panel) => drawPanel(grid, panel, model.width));
  await document.fonts.ready;
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  // The content's own height, not the viewport's: the Node side sizes the screenshot to it.
  const bottom = grid.getBoundingClientRect().bottom + window.scrollY + 16;
  return { width: model.width, height: Math.ceil(bottom), panels: drawn.map(report) };
}

function drawPanel(grid: HTMLElement, panel: PanelModel, pageWidth: number): Drawn {
  const box = panelBox(panel.gridPos, pageWidth);
  if (panel.type === "row") {
    const row = element("div", panel.collapsed ? "row collapsed" : "row");
    place(row, box);
    row.textContent = panel.title;
    grid.append(row);
    return { panel, shown: "row", el: row, title: panel.title };
  }
  const section = element("section", "panel");
  place(section, box);
  const header = element("header", "panel-title");
  header.textContent = panel.title;
  const body = element("div", "panel-body");
  section.append(header, body);
  grid.append(section);
  const drawn = { panel, el: section, title: header.textContent };
  const errors = panel.queries.filter((q) => q.error);
  if (panel.series.length === 0) {
    const text =
      errors.length > 0
        ? `Query error: ${errors.map((q) => `${q.refId}: ${q.error}`).join("; ")}`
        : "No data";
    message(body, text, errors.length > 0);
    return { ...drawn, shown: errors.length > 0 ? "error" : "no data", message: text };
  }
  if (panel.type === "timeseries") {
    // The legend first, so the chart gets the height that is left.
    if (panel.showLegend) section.append(legendList(panel));
    return { ...drawn, shown: "chart", plot: drawTimeseries(body, panel) };
  }
  if (panel.type === "state-timeline")
    return { ...drawn, shown: "timeline", plot: drawStateTimeline(body, panel) };
  const text = `Panel type "${panel.type}" is not previewed`;
  message(body, text, false);
  return { ...drawn, shown: "unsupported", message: text };
}

function report(drawn: Drawn): PanelReport {
  const { panel, shown, el } = drawn;
  const charted = shown === "chart" || shown === "timeline";
  return {
    title: panel.title,
    type: panel.type,
    shown,
    renderedTitle: drawn.title,
    ...(drawn.message === undefined ? {} : { message: drawn.message }),
    series: charted ? panel.series.length : 0,
    legend: texts(el, ".legend li, .timeline-label"),
    ...(shown === "timeline" ? { states: [...new Set(texts(el, ".timeline-segment"))] } : {}),
    points: charted ? panel.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0) : 0,
    box: pageBox(el),
    ...(drawn.plot ? { plot: pageBox(drawn.plot) } : {}),
  };
}

const texts = (el: Element, selector: string) =>
  Array.from(el.querySelectorAll(selector)).map((item) => item.textContent ?? "");

function message(body: HTMLElement, text: string, isError: boolean): void {
  const el = element("div", isError ? "panel-message error" : "panel-message");
  el.textContent = text;
  body.append(el);
}

function place(el: HTMLElement, box: Box): void {
  el.style.left = `${box.x}px`;
  el.style.top = `${box.y}px`;
  el.style.width = `${box.width}px`;
  el.style.height = `${box.height}px`;
}

function pageBox(el: Element): Box {
  const r = el.getBoundingClientRect();
  return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height };
}

function element(tag: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  if (className) el.className = className;
  return el;
}

const win = window as PreviewWindow;
try {
  const model = JSON.parse(document.getElementById("model")?.textContent ?? "null") as DashboardModel;
  win.__previewReport = await render(model);
} catch (err) {
  win.__previewError = err instanceof Error ? `${err.message}\n${err.stack}` : String(err);
}
