import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { renderBarChart } from './bar-chart';

/** Decodes the PNGs encodePng writes (RGB, filter none, one IDAT). */
function decode(png: Buffer): { width: number; height: number; pixel: (x: number, y: number) => [number, number, number] } {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  let offset = 8;
  let data = Buffer.alloc(0);
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    if (type === 'IDAT') data = Buffer.concat([data, png.subarray(offset + 8, offset + 8 + length)]);
    offset += 12 + length;
  }
  const rows = inflateSync(data);
  return {
    width,
    height,
    pixel: (x, y) => {
      const at = y * (width * 3 + 1) + 1 + x * 3;
      return [rows[at]!, rows[at + 1]!, rows[at + 2]!];
    },
  };
}

describe('renderBarChart', () => {
  it('draws bars in proportion to their values, a negative one as a red stub, in a valid PNG', () => {
    const values = [100, 0, 50, -30, 25];
    const image = decode(
      renderBarChart({
        title: 'Revenue',
        bars: values.map((value, index) => ({ label: String(index + 1), value })),
        width: 500,
        height: 300,
      }),
    );
    assert.equal(image.width, 500);
    assert.equal(image.height, 300);
    const slot = (500 - 32) / values.length;
    const heightOf = (index: number, color: [number, number, number]) => {
      const x = Math.floor(16 + index * slot + slot / 2);
      let count = 0;
      for (let y = 0; y < image.height; y += 1) if (image.pixel(x, y).join() === color.join()) count += 1;
      return count;
    };
    const blue: [number, number, number] = [51, 154, 240];
    const red: [number, number, number] = [240, 62, 62];
    const full = heightOf(0, blue);
    assert.ok(full > 100, `the largest bar fills the plot (${full} px)`);
    assert.equal(heightOf(1, blue), 0, 'zero draws no bar');
    assert.ok(Math.abs(heightOf(2, blue) - full / 2) <= 1, 'half the value, half the height');
    assert.ok(Math.abs(heightOf(4, blue) - full / 4) <= 1, 'a quarter');
    assert.equal(heightOf(3, blue), 0);
    assert.equal(heightOf(3, red), 3, 'a negative day is a red stub');
  });

  it('renders the same bytes for the same input (no fonts, no platform differences)', () => {
    const input = { title: 'Stable', bars: [{ label: '1', value: 3 }] };
    assert.deepEqual(renderBarChart(input), renderBarChart(input));
  });
});
