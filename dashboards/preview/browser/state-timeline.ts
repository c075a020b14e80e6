/// <reference lib="dom" />
/**
 * Grafana's state timeline: one lane per series, equal neighbouring values merged into one bar, coloured and
 * labelled by the panel's value mappings (e.g. 1 → "leader", green), a series' name at the start of its lane,
 * and a time axis below. Drawn with plain DOM: uPlot has no such chart built in (Grafana adds it as a plugin).
 */
import type { PanelModel, ValueMapping } from "../model.ts";
import { namedColor, seriesColor, THEME, withOpacity } from "./theme.ts";
import { formatValue } from "./units.ts";

/** Draws into `body` and returns the lanes' area. */
export function drawStateTimeline(body: HTMLElement, panel: PanelModel): HTMLElement {
  const root = element("div", "timeline");
  const rows = element("div", "timeline-rows");
  const labelWidth = Math.min(200, Math.max(...panel.series.map((s) => s.name.length)) * 7 + 8);
  const first = panel.times[0] ?? 0;
  const span = Math.max(1, (panel.times.at(-1) ?? first) - first);
  const step = panel.times.length > 1 ? (panel.times[1] as number) - first : span;
  const distinct = new Map<number, number>();
  for (const series of panel.series) {
    const row = element("div", "timeline-row");
    row.style.height = `${(90 / panel.series.length).toFixed(2)}%`;
    const label = element("div", "timeline-label");
    label.style.width = `${labelWidth}px`;
    label.textContent = series.name;
    const lane = element("div", "timeline-lane");
    for (const run of runs(series.values)) {
      const mapping = mappingFor(panel.mappings, run.value);
      if (!distinct.has(run.value)) distinct.set(run.value, distinct.size);
      const color = mapping?.color ? namedColor(mapping.color) : seriesColor(distinct.get(run.value) ?? 0);
      const start = (panel.times[run.from] as number) - first;
      const end = Math.min(span, (panel.times[run.to] as number) - first + step);
      const bar = element("div", "timeline-segment");
      bar.style.left = `${(100 * start) / span}%`;
      bar.style.width = `${(100 * (end - start)) / span}%`;
      bar.style.background = withOpacity(color, 70);
      bar.style.border = `1px solid ${color}`;
      bar.textContent = mapping?.text ?? formatValue(panel.unit, run.value);
      lane.append(bar);
    }
    row.append(label, lane);
    rows.append(row);
  }
  const axis = element("div", "timeline-axis");
  axis.style.marginLeft = `${labelWidth}px`;
  const every = TICK_STEPS.find((s) => span / s <= 6) ?? span;
  for (let t = Math.ceil(first / every) * every; t < first + span; t += every) {
    const tick = element("span");
    tick.style.left = `${(100 * (t - first)) / span}%`;
    tick.textContent = clock(t, every);
    axis.append(tick);
  }
  root.append(rows, axis);
  root.style.font = THEME.font;
  body.append(root);
  return rows;
}

type Run = { value: number; from: number; to: number };

/** Consecutive equal values as one run (Grafana's mergeValues); nulls end a run and draw nothing. */
function runs(values: Array<number | null>): Run[] {
  const out: Run[] = [];
  values.forEach((value, i) => {
    const last = out.at(-1);
    if (value === null) return;
    if (last && last.value === value && last.to === i - 1) last.to = i;
    else out.push({ value, from: i, to: i });
  });
  return out;
}

const mappingFor = (mappings: ValueMapping[], value: number) =>
  mappings.find((m) => Number(m.value) === value);

// Round tick spacings, in seconds, so the axis reads 10:40, 10:50 … rather than arbitrary instants.
const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];

function clock(seconds: number, every: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  return every < 60 ? iso.slice(11, 19) : iso.slice(11, 16);
}

function element(tag: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  if (className) el.className = className;
  return el;
}
