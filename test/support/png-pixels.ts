/** Reads a PNG and counts what a viewer would see as drawn data: saturated pixels, not the theme's greys. */
import { readFileSync } from "node:fs";
import { PNG } from "pngjs";
import type { Box } from "../../dashboards/preview/model.ts";

export type Image = { width: number; height: number; data: Buffer };

/** Throws unless the file is a PNG that decodes (signature, chunks, CRCs, image data). */
export function readPng(path: string): Image {
  const png = PNG.sync.read(readFileSync(path));
  return { width: png.width, height: png.height, data: png.data };
}

/**
 * Pixels inside `box` (CSS pixels, `scale` device pixels each) whose colour is far from grey: series lines
 * and state bars in the palette. The dark theme's backgrounds, grid lines and text are all near-grey.
 */
export function colourfulPixels(image: Image, box: Box, scale: number): number {
  let count = 0;
  forEachPixel(image, box, scale, (rgb) => {
    if (Math.max(...rgb) - Math.min(...rgb) > 60) count++;
  });
  return count;
}

/** Pixels inside `box` where channel `hue` clearly dominates the other two: a green or a blue bar. */
export function pixelsOfHue(image: Image, box: Box, scale: number, hue: "red" | "green" | "blue"): number {
  const channel = { red: 0, green: 1, blue: 2 }[hue];
  let count = 0;
  forEachPixel(image, box, scale, (rgb) => {
    const others = rgb.filter((_, i) => i !== channel);
    if ((rgb[channel] ?? 0) - Math.max(...others) > 40) count++;
  });
  return count;
}

function forEachPixel(image: Image, box: Box, scale: number, visit: (rgb: number[]) => void): void {
  const x0 = Math.max(0, Math.floor(box.x * scale));
  const y0 = Math.max(0, Math.floor(box.y * scale));
  const x1 = Math.min(image.width, Math.ceil((box.x + box.width) * scale));
  const y1 = Math.min(image.height, Math.ceil((box.y + box.height) * scale));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * image.width + x) * 4;
      visit([image.data[i] ?? 0, image.data[i + 1] ?? 0, image.data[i + 2] ?? 0]);
    }
  }
}
