/**
 * A small SVG chart, no dependencies: convergence time, floor (left axis, seconds) and RSS (right axis, MiB)
 * against N, on a linear N axis.
 */
import type { Result } from "./report.ts";

const W = 640;
const H = 360;
const M = { l: 60, r: 60, t: 40, b: 50 };

function ticks(max: number): number[] {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.ceil(max / step) + 1 }, (_, i) => i * step);
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

export function plotSvg(results: Result[], _opts: { limitMiB?: number } = {}): string {
  const rs = [...results].sort((a, b) => a.n - b.n);
  const nMax = Math.max(...rs.map((r) => r.n), 1);
  const sTicks = ticks(Math.max(...rs.flatMap((r) => [r.convergenceS, r.floorS]), 1));
  const mTicks = ticks(Math.max(...rs.map((r) => r.rssMiB), 150));
  const sMax = sTicks[sTicks.length - 1] ?? 1;
  const mMax = mTicks[mTicks.length - 1] ?? 1;
  const x = (n: number) => M.l + (n / nMax) * (W - M.l - M.r);
  const ys = (s: number) => H - M.b - (s / sMax) * (H - M.t - M.b);
  const ym = (m: number) => H - M.b - (m / mMax) * (H - M.t - M.b);
  const line = (pts: [number, number][], color: string, dash = "") =>
    `<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""} points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ")}"/>` +
    pts
      .map(([a, b]) => `<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="3.5" fill="${color}"/>`)
      .join("");
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">greeter-operator: convergence and RSS against N</text>`,
  ];
  for (const t of sTicks) {
    out.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${ys(t)}" y2="${ys(t)}" stroke="#eee"/>`);
    out.push(`<text x="${M.l - 6}" y="${ys(t) + 4}" text-anchor="end" fill="#1f77b4">${t}</text>`);
  }
  for (const t of mTicks) out.push(`<text x="${W - M.r + 6}" y="${ym(t) + 4}" fill="#d62728">${t}</text>`);
  for (const r of rs) out.push(`<text x="${x(r.n)}" y="${H - M.b + 18}" text-anchor="middle">${r.n}</text>`);
  out.push(
    `<line x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}" stroke="#333"/>`,
    `<line x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${H - M.b}" stroke="#333"/>`,
    `<line x1="${W - M.r}" x2="${W - M.r}" y1="${M.t}" y2="${H - M.b}" stroke="#333"/>`,
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle">Greeters (N)</text>`,
    `<text transform="translate(16 ${H / 2}) rotate(-90)" text-anchor="middle" fill="#1f77b4">seconds</text>`,
    `<text transform="translate(${W - 14} ${H / 2}) rotate(90)" text-anchor="middle" fill="#d62728">RSS MiB</text>`,
    `<line x1="${M.l}" x2="${W - M.r}" y1="${ym(150)}" y2="${ym(150)}" stroke="#d62728" stroke-dasharray="2 4"/>`,
    `<text x="${W - M.r - 4}" y="${ym(150) - 4}" text-anchor="end" fill="#d62728">RSS target 150 MiB</text>`,
    line(
      rs.map((r) => [x(r.n), ys(r.convergenceS)]),
      "#1f77b4",
    ),
    line(
      rs.map((r) => [x(r.n), ys(r.floorS)]),
      "#1f77b4",
      "6 4",
    ),
    line(
      rs.map((r) => [x(r.n), ym(r.rssMiB)]),
      "#d62728",
    ),
  );
  const legend: [string, string, string][] = [
    ["convergence", "#1f77b4", ""],
    ["floor (plain client, same writes)", "#1f77b4", "6 4"],
    ["operator RSS (steady)", "#d62728", ""],
  ];
  legend.forEach(([label, color, dash], i) => {
    const y = M.t + 8 + i * 16;
    out.push(
      `<line x1="${M.l + 10}" x2="${M.l + 34}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
      `<text x="${M.l + 40}" y="${y + 4}">${esc(label)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
