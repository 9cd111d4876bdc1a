import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { renderQrBase64, renderQrPng } from './render-qr';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const LINK = 'vless://11111111-2222-4333-8444-555555555555@vpn.example.org:443?encryption=none&security=reality&type=tcp#reality-sub-1';
const LONG_LINK = `${LINK}&pbk=${'A'.repeat(43)}&sid=0123456789abcdef&spx=%2F&fp=chrome&sni=www.example.com&flow=xtls-rprx-vision`;

/** Decodes a PNG with pngjs (an independent decoder) and reads the QR code in it with jsQR. */
function scan(png: Buffer): { width: number; height: number; text: string | undefined; rgba: Buffer } {
  const image = PNG.sync.read(png);
  const code = jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height);
  return { width: image.width, height: image.height, text: code?.data, rgba: image.data };
}

describe('renderQrPng / renderQrBase64', () => {
  it('renders a PNG, identical for identical input, different for other input', async () => {
    const png = await renderQrPng(LINK);
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    assert.deepEqual(await renderQrPng(LINK), png);
    assert.notDeepEqual(await renderQrPng(`${LINK}x`), png);
    const widthPx = png.readUInt32BE(16); // IHDR width: close to the requested 512 (whole modules)
    assert.ok(widthPx > 480 && widthPx <= 512, String(widthPx));
  });

  it('is a valid PNG that a QR reader reads back as the same text, at every size the product uses', async () => {
    for (const [text, widthPx] of [
      [LINK, 512],
      [LONG_LINK, 512],
      ['https://vpn.example.org/sub/3f9a1c2e4b5d6e7f8091a2b3c4d5e6f7', 256],
    ] as const) {
      const decoded = scan(await renderQrPng(text, { widthPx }));
      assert.equal(decoded.text, text);
      assert.equal(decoded.width, decoded.height);
      assert.ok(decoded.width <= widthPx && decoded.width > widthPx * 0.85, `${decoded.width} for ${widthPx}`);
    }
  });

  it('paints each module as a square of whole pixels, black on white, inside a white quiet zone', async () => {
    const { size, data } = QRCode.create(LINK, { errorCorrectionLevel: 'M' }).modules;
    const margin = 2;
    const decoded = scan(await renderQrPng(LINK, { widthPx: 512, marginModules: margin }));
    const scale = decoded.width / (size + 2 * margin);
    assert.ok(Number.isInteger(scale), String(scale));
    const pixel = (x: number, y: number) => decoded.rgba[(y * decoded.width + x) * 4];
    for (let row = -margin; row < size + margin; row++) {
      for (let col = -margin; col < size + margin; col++) {
        const dark = row >= 0 && row < size && col >= 0 && col < size && data[row * size + col] === 1;
        const expected = dark ? 0 : 255;
        // Both corners of the module's square carry its colour.
        const x0 = (col + margin) * scale;
        const y0 = (row + margin) * scale;
        assert.equal(pixel(x0, y0), expected, `module ${row},${col}`);
        assert.equal(pixel(x0 + scale - 1, y0 + scale - 1), expected, `module ${row},${col}`);
      }
    }
  });

  it('returns the same PNG as base64', async () => {
    const base64 = await renderQrBase64(LINK, { widthPx: 256 });
    assert.deepEqual(Buffer.from(base64, 'base64'), await renderQrPng(LINK, { widthPx: 256 }));
  });

  it('refuses a text too long for a QR code', async () => {
    await assert.rejects(renderQrPng('x'.repeat(5_000)), /too big|amount of data/i);
  });
});
