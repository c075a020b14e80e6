/**
 * Grafana's dashboard grid: 24 columns over the page width, rows of 30 px, 8 px between panels. Shared by
 * the page (where panels go) and the Node side (a panel's width in pixels sets its query step).
 */
import type { Box, GridPos } from "../model.ts";

export const GRID = { columns: 24, rowHeight: 30, gap: 8, padding: 16 } as const;

export function panelBox(pos: GridPos, pageWidth: number): Box {
  const inner = pageWidth - 2 * GRID.padding;
  const column = (inner - (GRID.columns - 1) * GRID.gap) / GRID.columns;
  return {
    x: pos.x * (column + GRID.gap),
    y: pos.y * (GRID.rowHeight + GRID.gap),
    width: pos.w * column + (pos.w - 1) * GRID.gap,
    height: pos.h * GRID.rowHeight + (pos.h - 1) * GRID.gap,
  };
}

/** Height of the grid in pixels: down to the bottom of the lowest panel. */
export function gridHeight(positions: GridPos[]): number {
  const rows = Math.max(0, ...positions.map((p) => p.y + p.h));
  return rows === 0 ? 0 : rows * (GRID.rowHeight + GRID.gap) - GRID.gap;
}
