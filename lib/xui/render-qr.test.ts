import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderQrBase64, renderQrPng } from './render-qr';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const LINK = 'vless://11111111-2222-4333-8444-555555555555@vpn.example.org:443?encryption=none&security=reality&type=tcp#reality-sub-1';

describe('renderQrPng / renderQrBase64', () => {
  it('renders a PNG, identical for identical input, different for other input', async () => {
    const png = await renderQrPng(LINK);
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    assert.deepEqual(await renderQrPng(LINK), png);
    assert.notDeepEqual(await renderQrPng(`${LINK}x`), png);
    const widthPx = png.readUInt32BE(16); // IHDR width: close to the requested 512 (whole modules)
    assert.ok(widthPx > 480 && widthPx <= 512, String(widthPx));
  });

  it('returns the same PNG as base64', async () => {
    const base64 = await renderQrBase64(LINK, { widthPx: 256 });
    assert.deepEqual(Buffer.from(base64, 'base64'), await renderQrPng(LINK, { widthPx: 256 }));
  });
});
