/**
 * Grafana's value formatting for the units our dashboards use (fieldConfig.defaults.unit): each value is
 * scaled to its own prefix (2 ms, 1.5 s, 3 min; 512 KiB, 1 MiB), and given as many decimals as the step
 * between axis ticks needs. An unknown unit is shown as a suffix, as Grafana does with a custom unit.
 */

type Scale = { factor: number; suffix: string };

const COUNT: Scale[] = [
  { factor: 1, suffix: "" },
  { factor: 1e3, suffix: " K" },
  { factor: 1e6, suffix: " Mil" },
  { factor: 1e9, suffix: " Bil" },
  { factor: 1e12, suffix: " Tri" },
];

const BYTES: Scale[] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"].map((suffix, i) => ({
  factor: 1024 ** i,
  suffix: ` ${suffix}`,
}));

const SECONDS: Scale[] = [
  { factor: 1e-9, suffix: " ns" },
  { factor: 1e-6, suffix: " µs" },
  { factor: 1e-3, suffix: " ms" },
  { factor: 1, suffix: " s" },
  { factor: 60, suffix: " min" },
  { factor: 3600, suffix: " hour" },
  { factor: 86_400, suffix: " day" },
];

const withSuffix = (scales: Scale[], suffix: string) =>
  scales.map((s) => ({ ...s, suffix: s.suffix + suffix }));

const UNITS: Record<string, Scale[]> = {
  short: COUNT,
  none: [{ factor: 1, suffix: "" }],
  "": COUNT,
  reqps: withSuffix(COUNT, " req/s"),
  ops: withSuffix(COUNT, " ops/s"),
  bytes: BYTES,
  decbytes: ["B", "kB", "MB", "GB", "TB"].map((suffix, i) => ({ factor: 1000 ** i, suffix: ` ${suffix}` })),
  s: SECONDS,
  ms: SECONDS.slice(2).map((s) => ({ ...s, factor: s.factor * 1000 })),
  percent: [{ factor: 1, suffix: "%" }],
  percentunit: [{ factor: 0.01, suffix: "%" }],
};

/**
 * Axis tick spacings for units with binary prefixes (1, 2, 4 … 512 KiB), so the ticks land on round values
 * as they do in Grafana; undefined leaves uPlot's decimal spacings.
 */
export function axisIncrements(unit: string): number[] | undefined {
  if (unit !== "bytes") return undefined;
  const out: number[] = [];
  for (let k = 0; k < 6; k++) for (let m = 1; m < 1024; m *= 2) out.push(m * 1024 ** k);
  return out;
}

/** `value` in `unit`; `step` is the distance between neighbouring axis ticks, when formatting an axis. */
export function formatValue(unit: string, value: number, step?: number): string {
  const scales = UNITS[unit] ?? withSuffix(COUNT, ` ${unit}`);
  const first = scales[0] as Scale;
  const abs = Math.abs(value);
  // Zero and fixed-scale units keep the first scale; others take the largest prefix that keeps |value| ≥ 1.
  const scale = abs === 0 ? first : (scales.findLast((s) => abs >= s.factor) ?? first);
  const scaled = value / scale.factor;
  const decimals = step === undefined ? magnitudeDecimals(scaled) : stepDecimals(step / scale.factor);
  return `${trimZeros(scaled.toFixed(decimals))}${scale.suffix}`;
}

function stepDecimals(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 2;
  for (let d = 0; d < 6; d++) {
    const shifted = step * 10 ** d;
    if (Math.abs(shifted - Math.round(shifted)) < 1e-6 * Math.max(1, shifted)) return d;
  }
  return 6;
}

function magnitudeDecimals(value: number): number {
  const abs = Math.abs(value);
  if (abs === 0 || abs >= 100) return 0;
  if (abs >= 10) return 1;
  if (abs >= 1) return 2;
  return Math.min(6, 1 - Math.floor(Math.log10(abs)));
}

/** "1.50" → "1.5", "2.00" → "2": Grafana shows the decimals a value needs, not a fixed count. */
function trimZeros(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}
