/**
 * Bar charts rendered to PNG on the server, for the operator's stats screen.
 *
 * Why no chart or image library: the picture is a title, bars and a few numbers; drawing that into
 * an RGB buffer and encoding it with Node's own zlib (png.ts) needs no native build, no system
 * fonts and no dependency. The obvious library choice, @resvg/resvg-js (SVG -> PNG), ships its
 * renderer as per-platform optional dependencies, which the Docker image drops (`npm ci
 * --omit=optional`), and would need fonts the slim image does not have; node-canvas needs a native
 * build against Cairo. A bitmap font (pixel-font.ts) also makes the output byte-identical on every
 * machine, so tests can compare images exactly.
 */
import { encodePng } from './png';
import { CELL_HEIGHT, drawText, textWidth } from './pixel-font';

/** One bar. */
export interface Bar {
  /** Short label under the bar (e.g. the day of the month). */
  label: string;
  /** Height; negative values are drawn as 0 and labelled. */
  value: number;
}

/** What to draw. */
export interface BarChartInput {
  title: string;
  bars: readonly Bar[];
  /** Formats the maximum shown on the axis (e.g. "12 450"). */
  formatValue?: (value: number) => string;
  width?: number;
  height?: number;
}

type Rgb = readonly [number, number, number];
const BACKGROUND: Rgb = [255, 255, 255];
const INK: Rgb = [33, 37, 41];
const MUTED: Rgb = [134, 142, 150];
const GRID: Rgb = [222, 226, 230];
const BAR: Rgb = [51, 154, 240];
const BAR_NEGATIVE: Rgb = [240, 62, 62];

/** Renders a bar chart as a PNG file (default 720 x 360). */
export function renderBarChart(input: BarChartInput): Buffer {
  const width = input.width ?? 720;
  const height = input.height ?? 360;
  const pixels = new Uint8Array(width * height * 3);
  const fill = (x0: number, y0: number, w: number, h: number, color: Rgb) => {
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(height, Math.floor(y0 + h)); y += 1) {
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(width, Math.floor(x0 + w)); x += 1) {
        const offset = (y * width + x) * 3;
        pixels[offset] = color[0];
        pixels[offset + 1] = color[1];
        pixels[offset + 2] = color[2];
      }
    }
  };
  const text = (value: string, x: number, y: number, scale: number, color: Rgb) =>
    drawText(value, x, y, scale, (px, py) => fill(px, py, 1, 1, color));
  fill(0, 0, width, height, BACKGROUND);

  const format = input.formatValue ?? ((value: number) => String(value));
  const margin = { left: 16, right: 16, top: 16 + CELL_HEIGHT * 3 + 12, bottom: CELL_HEIGHT * 2 + 16 };
  text(input.title, margin.left, 16, 3, INK);
  const max = Math.max(0, ...input.bars.map((bar) => bar.value));
  const plotTop = margin.top + CELL_HEIGHT * 2 + 8;
  const plotBottom = height - margin.bottom;
  const plotHeight = plotBottom - plotTop;
  const maxLabel = `MAX ${format(max)}`;
  text(maxLabel, width - margin.right - textWidth(maxLabel, 2), margin.top, 2, MUTED);
  fill(margin.left, plotTop, width - margin.left - margin.right, 1, GRID);
  fill(margin.left, plotBottom, width - margin.left - margin.right, 1, MUTED);

  const count = Math.max(1, input.bars.length);
  const slot = (width - margin.left - margin.right) / count;
  const barWidth = Math.max(1, Math.floor(slot * 0.7));
  input.bars.forEach((bar, index) => {
    const x = margin.left + index * slot + (slot - barWidth) / 2;
    if (bar.value < 0) {
      fill(x, plotBottom - 3, barWidth, 3, BAR_NEGATIVE);
    } else if (max > 0) {
      const barHeight = Math.max(bar.value > 0 ? 1 : 0, Math.round((bar.value / max) * plotHeight));
      fill(x, plotBottom - barHeight, barWidth, barHeight, BAR);
    }
    const labelScale = textWidth(bar.label, 2) <= slot - 2 ? 2 : 1;
    text(bar.label, margin.left + index * slot + (slot - textWidth(bar.label, labelScale)) / 2, plotBottom + 8, labelScale, MUTED);
  });
  return encodePng(width, height, pixels);
}
