/**
 * What the Node side hands the preview page (one dashboard, its data already fetched) and what the page
 * reports back after drawing. Types only, so the browser modules can import them too.
 */

export type GridPos = { x: number; y: number; w: number; h: number };

export type ValueMapping = { value: string; text?: string; color?: string };

export type SeriesData = {
  /** The legend entry, from the target's legendFormat. */
  name: string;
  /** One value per entry of the panel's `times`; null where Prometheus had no finite sample. */
  values: Array<number | null>;
};

export type QueryData = { refId: string; expr: string; series: number; points: number; error?: string };

export type PanelModel = {
  type: string;
  title: string;
  gridPos: GridPos;
  /** Rows only: a collapsed row hides its panels, as in Grafana. */
  collapsed?: boolean;
  unit: string;
  min?: number;
  max?: number;
  fillOpacity: number;
  lineWidth: number;
  showLegend: boolean;
  mappings: ValueMapping[];
  /** Unix seconds, step apart, shared by every series of the panel. */
  times: number[];
  series: SeriesData[];
  queries: QueryData[];
};

export type DashboardModel = {
  title: string;
  /** The lines stamped above the panels: time range, Prometheus URL, variables, and that this is no Grafana. */
  stamp: string[];
  /** Page width in CSS pixels; the grid's 24 columns share it less the page padding. */
  width: number;
  panels: PanelModel[];
};

export type Box = { x: number; y: number; width: number; height: number };

/** What a viewer sees in a panel: a chart, a state timeline, Grafana's "No data", or an error. */
export type Shown = "chart" | "timeline" | "no data" | "error" | "unsupported" | "row";

export type PanelReport = {
  title: string;
  type: string;
  shown: Shown;
  /** The panel's title as rendered (its text in the page). */
  renderedTitle: string;
  /** The text shown instead of a chart ("No data", the error), if any. */
  message?: string;
  series: number;
  /** The legend's entries (a state timeline's lane names) as rendered, in order; [] if none are shown. */
  legend: string[];
  /** A state timeline's texts on its bars ("leader", "standby"), each once. */
  states?: string[];
  /** Non-null values handed to the chart, all series together. */
  points: number;
  /** Where the panel is in the page, in CSS pixels. */
  box: Box;
  /** Where the data is drawn (the plot area), for pixel checks on the PNG. */
  plot?: Box;
};

export type PageReport = { width: number; height: number; panels: PanelReport[] };
