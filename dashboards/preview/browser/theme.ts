/** Grafana's dark theme, as far as a preview needs it: surfaces, text, and its classic series palette. */

export const THEME = {
  text: "#ccccdc",
  textWeak: "rgba(204, 204, 220, 0.65)",
  grid: "rgba(204, 204, 220, 0.1)",
  error: "#F2495C",
  font: '12px Inter, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif',
} as const;

// Grafana's "palette-classic", the default colour scheme of a time-series field, in order.
const CLASSIC = [
  "#7EB26D",
  "#EAB839",
  "#6ED0E0",
  "#EF843C",
  "#E24D42",
  "#1F78C1",
  "#BA43A9",
  "#705DA0",
  "#508642",
  "#CCA300",
  "#447EBC",
  "#C15C17",
  "#890F02",
  "#0A437C",
  "#6D1F62",
  "#584477",
];

export const seriesColor = (index: number): string => CLASSIC[index % CLASSIC.length] as string;

const NAMED: Record<string, string> = {
  green: "#73BF69",
  blue: "#5794F2",
  red: "#F2495C",
  yellow: "#FADE2A",
  orange: "#FF9830",
  purple: "#B877D9",
  text: "#ccccdc",
};

/** A value mapping's colour: Grafana's named colours, or any CSS colour as given. */
export const namedColor = (name: string): string => NAMED[name] ?? name;

/** `color` (#rrggbb) at `opacity` percent, as Grafana applies fillOpacity. */
export function withOpacity(color: string, opacity: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return color;
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => Number.parseInt(h as string, 16));
  return `rgba(${r}, ${g}, ${b}, ${Math.max(0, Math.min(100, opacity)) / 100})`;
}
