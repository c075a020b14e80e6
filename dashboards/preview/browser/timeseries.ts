/// <reference lib="dom" />
/**
 * A time-series panel drawn with uPlot, the library Grafana's own time-series panel is built on: one line
 * per series in the classic palette with the panel's fill opacity and line width, the unit on the y axis,
 * fieldConfig min/max as the axis bounds, and gaps where Prometheus had no sample.
 */
import uPlot from "uplot";
import type { PanelModel } from "../model.ts";
import { seriesColor, THEME, withOpacity } from "./theme.ts";
import { axisIncrements, formatValue } from "./units.ts";

const measure = document.createElement("canvas").getContext("2d") as CanvasRenderingContext2D;
measure.font = THEME.font;

/** Draws into `body` (already sized) and returns the plot area, where the lines are. */
export function drawTimeseries(body: HTMLElement, panel: PanelModel): HTMLElement {
  const axis = {
    stroke: THEME.textWeak,
    font: THEME.font,
    grid: { stroke: THEME.grid, width: 1 },
    ticks: { stroke: THEME.grid, width: 1, size: 4 },
  };
  const options: uPlot.Options = {
    width: Math.floor(body.clientWidth - 16),
    height: Math.floor(body.clientHeight),
    legend: { show: false },
    cursor: { show: false },
    padding: [8, 16, 0, 0],
    scales: {
      x: { time: true },
      y: {
        range: (_u, dataMin, dataMax) => {
          // A flat series (all 0: no restarts) gets a unit of room above it, not a range made up around it.
          const flat = dataMin === dataMax;
          const top = flat ? (dataMax ?? 0) + Math.max(1, Math.abs(dataMax ?? 0)) : dataMax;
          const [low, high] = uPlot.rangeNum(dataMin ?? 0, top ?? 1, 0.1, true);
          const min = panel.min ?? low ?? 0;
          const max = panel.max ?? high ?? 1;
          return [min, max > min ? max : min + 1];
        },
      },
    },
    axes: [
      {
        ...axis,
        space: 80,
        // A label centred on a tick at the right end would be cut off by the panel's edge: leave it out.
        values: (u, splits, _axis, _space, step) =>
          splits.map((t) => (u.bbox.width / uPlot.pxRatio - u.valToPos(t, "x") < 26 ? "" : clock(t, step))),
      },
      {
        ...axis,
        space: 30,
        ...(axisIncrements(panel.unit) ? { incrs: axisIncrements(panel.unit) } : {}),
        values: (_u, splits, _axis, _space, step) => splits.map((v) => formatValue(panel.unit, v, step)),
        size: (_u, values) =>
          Math.ceil(Math.max(24, ...(values ?? []).map((v) => measure.measureText(v).width)) + 14),
      },
    ],
    series: [
      {},
      ...panel.series.map((s, i) => ({
        label: s.name,
        stroke: seriesColor(i),
        width: panel.lineWidth,
        fill: panel.fillOpacity > 0 ? withOpacity(seriesColor(i), panel.fillOpacity) : undefined,
        spanGaps: false,
      })),
    ],
  };
  const data: uPlot.AlignedData = [panel.times, ...panel.series.map((s) => s.values)];
  const plot = new uPlot(options, data, body);
  return plot.over;
}

/** Time ticks in 24-hour UTC as Grafana labels them: seconds only when ticks are under a minute apart. */
function clock(seconds: number, step: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  if (step < 60) return iso.slice(11, 19);
  if (step < 86_400) return iso.slice(11, 16);
  return iso.slice(5, 10);
}

/** Grafana's bottom "list" legend: a coloured dash and the series name, wrapping across lines. */
export function legendList(panel: PanelModel): HTMLElement {
  const list = document.createElement("ul");
  list.className = "legend";
  panel.series.forEach((s, i) => {
    const item = document.createElement("li");
    const marker = document.createElement("span");
    marker.className = "marker";
    marker.style.background = seriesColor(i);
    const name = document.createElement("span");
    name.textContent = s.name;
    item.append(marker, name);
    list.append(item);
  });
  return list;
}
