/**
 * The bench's cost curve as a small SVG, no dependencies: three panels against N on a linear axis (a straight
 * line is a cost linear in N): time (convergence, floor, CPU to converge), memory (RSS steady and peak against
 * the memory limit) and operator writes per Greeter.
 */
import type { Result } from "./report.ts";

const PANEL_W = 360;
const PANEL_H = 300;
const M = { l: 56, r: 16, t: 56, b: 44 };

function ticks(max: number): number[] {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.ceil(max / step) + 1 }, (_, i) => Math.round(i * step * 1000) / 1000);
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
const fix = (v: number) => v.toFixed(1);

interface Series {
  label: string;
  color: string;
  dash?: string;
  value: (r: Result) => number | undefined;
}

interface Panel {
  title: string;
  unit: string;
  series: Series[];
  /** A horizontal reference line (e.g. the memory limit). */
  reference?: { value: number; label: string };
}

function panel(rs: Result[], p: Panel, left: number): string[] {
  const nMax = Math.max(...rs.map((r) => r.n), 1);
  const values = rs.flatMap((r) => p.series.map((s) => s.value(r) ?? 0));
  const yTicks = ticks(Math.max(...values, p.reference?.value ?? 0, 1));
  const yMax = yTicks[yTicks.length - 1] ?? 1;
  const x = (n: number) => left + M.l + (n / nMax) * (PANEL_W - M.l - M.r);
  const y = (v: number) => PANEL_H - M.b - (v / yMax) * (PANEL_H - M.t - M.b);
  const out = [
    `<text x="${left + PANEL_W / 2}" y="18" text-anchor="middle" font-size="13">${esc(p.title)}</text>`,
  ];
  for (const t of yTicks) {
    out.push(
      `<line x1="${left + M.l}" x2="${left + PANEL_W - M.r}" y1="${fix(y(t))}" y2="${fix(y(t))}" stroke="#eee"/>`,
      `<text x="${left + M.l - 5}" y="${fix(y(t) + 4)}" text-anchor="end">${t}</text>`,
    );
  }
  for (const r of rs)
    out.push(`<text x="${fix(x(r.n))}" y="${PANEL_H - M.b + 16}" text-anchor="middle">${r.n}</text>`);
  out.push(
    `<line x1="${left + M.l}" x2="${left + PANEL_W - M.r}" y1="${PANEL_H - M.b}" y2="${PANEL_H - M.b}" stroke="#333"/>`,
    `<line x1="${left + M.l}" x2="${left + M.l}" y1="${M.t}" y2="${PANEL_H - M.b}" stroke="#333"/>`,
    `<text x="${left + (PANEL_W + M.l - M.r) / 2}" y="${PANEL_H - 8}" text-anchor="middle">Greeters (N)</text>`,
    `<text transform="translate(${left + 14} ${(PANEL_H + M.t - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(p.unit)}</text>`,
  );
  if (p.reference) {
    const yr = fix(y(p.reference.value));
    out.push(
      `<line x1="${left + M.l}" x2="${left + PANEL_W - M.r}" y1="${yr}" y2="${yr}" stroke="#000" stroke-dasharray="2 4"/>`,
      `<text x="${left + PANEL_W - M.r - 2}" y="${fix(y(p.reference.value) - 4)}" text-anchor="end">${esc(p.reference.label)}</text>`,
    );
  }
  for (const s of p.series) {
    const pts = rs.flatMap((r) => {
      const v = s.value(r);
      return v === undefined ? [] : [[x(r.n), y(v)] as const];
    });
    if (!pts.length) continue;
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""} points="${pts.map(([a, b]) => `${fix(a)},${fix(b)}`).join(" ")}"/>`,
      ...pts.map(([a, b]) => `<circle cx="${fix(a)}" cy="${fix(b)}" r="3" fill="${s.color}"/>`),
    );
  }
  p.series.forEach((s, i) => {
    const ly = 30 + i * 13;
    out.push(
      `<line x1="${left + M.l + 4}" x2="${left + M.l + 26}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
      `<text x="${left + M.l + 30}" y="${ly + 4}" font-size="10">${esc(s.label)}</text>`,
    );
  });
  return out;
}

/** `caption`: a line under the panels, e.g. which runs the points come from. */
export function plotSvg(results: Result[], opts: { limitMiB?: number; caption?: string } = {}): string {
  const rs = [...results].sort((a, b) => a.n - b.n);
  const panels: Panel[] = [
    {
      title: "time",
      unit: "seconds",
      series: [
        { label: "convergence", color: "#1f77b4", value: (r) => r.convergenceS },
        {
          label: "floor (plain client, same writes)",
          color: "#1f77b4",
          dash: "6 4",
          value: (r) => r.floorS || undefined,
        },
        { label: "operator CPU to converge", color: "#2ca02c", value: (r) => r.convergeCpuS },
      ],
    },
    {
      title: "operator memory",
      unit: "MiB",
      series: [
        {
          label: "RSS peak (1 s samples)",
          color: "#d62728",
          value: (r) => r.rssPeakMiB ?? r.rssConvergedMiB,
        },
        { label: "RSS steady (idle median)", color: "#d62728", dash: "6 4", value: (r) => r.rssMiB },
        { label: "heap used (steady)", color: "#9467bd", value: (r) => r.heapMiB },
      ],
      ...(opts.limitMiB ? { reference: { value: opts.limitMiB, label: `limit ${opts.limitMiB} MiB` } } : {}),
    },
    {
      title: "operator writes per Greeter",
      unit: "writes / Greeter",
      series: [
        { label: "all (creation)", color: "#ff7f0e", value: (r) => r.writesPerGreeter },
        {
          label: "excluding Events",
          color: "#ff7f0e",
          dash: "6 4",
          value: (r) => r.writesPerGreeterExclEvents,
        },
      ],
    },
  ];
  const width = PANEL_W * panels.length;
  const height = PANEL_H + (opts.caption ? 20 : 0);
  return `${[
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...panels.flatMap((p, i) => panel(rs, p, i * PANEL_W)),
    ...(opts.caption
      ? [`<text x="${width / 2}" y="${PANEL_H + 12}" text-anchor="middle">${esc(opts.caption)}</text>`]
      : []),
    "</svg>",
  ].join("\n")}\n`;
}
