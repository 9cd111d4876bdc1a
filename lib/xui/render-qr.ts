/**
 * QR codes of share links and subscription URLs, as PNG images.
 *
 * The `qrcode` package computes the symbol (segments, error correction, the best mask); the PNG is
 * written here as a 1-bit grayscale image of whole-pixel modules. qrcode's own PNG renderer paints
 * a 512×512 RGBA buffer (1 MiB) and lets pngjs try five row filters on it: about 20 ms of CPU per
 * key, the largest single cost of the worker on the purchase path (bench purchase profile). A
 * 1-bit image of the same symbol is 32 KiB before deflate and needs no filter choice.
 */
import { crc32, deflateSync } from 'node:zlib';
import QRCode from 'qrcode';

/** Options for {@link renderQrPng}. */
export interface QrOptions {
  /** Approximate image width in pixels (rounded down to whole modules); default 512. */
  widthPx?: number;
  /** Quiet zone in modules; default 2. */
  marginModules?: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Renders `text` as a PNG QR code (error correction M): black modules on white, each module a
 * square of whole pixels. The same input always gives the same bytes.
 * @throws Error when the text is too long for a QR code (about 2.3 kB at level M)
 */
export async function renderQrPng(text: string, options: QrOptions = {}): Promise<Buffer> {
  const { size, data } = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
  const margin = options.marginModules ?? 2;
  const modules = size + 2 * margin;
  const scale = Math.max(1, Math.floor((options.widthPx ?? 512) / modules));
  const width = modules * scale;
  const rowBytes = 1 + Math.ceil(width / 8); // filter byte 0 (None), then 8 pixels per byte
  const raw = Buffer.alloc(rowBytes * width);
  const row = Buffer.alloc(rowBytes);
  for (let moduleRow = 0; moduleRow < modules; moduleRow++) {
    row.fill(0);
    for (let x = 0; x < width; x++) {
      const r = moduleRow - margin;
      const c = Math.floor(x / scale) - margin;
      const dark = r >= 0 && r < size && c >= 0 && c < size && data[r * size + c] === 1;
      // Grayscale 1-bit: 1 is white, 0 is black; the most significant bit is the leftmost pixel.
      if (!dark) row[1 + (x >> 3)]! |= 0x80 >> (x & 7);
    }
    for (let copy = 0; copy < scale; copy++) row.copy(raw, (moduleRow * scale + copy) * rowBytes);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(width, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, grayscale, deflate, adaptive filtering, no interlace
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Renders `text` as a PNG QR code and returns it base64-encoded (no `data:` prefix).
 * @throws as renderQrPng
 */
export async function renderQrBase64(text: string, options: QrOptions = {}): Promise<string> {
  return (await renderQrPng(text, options)).toString('base64');
}

/** One PNG chunk: length, type, data, CRC-32 of type and data. */
function chunk(type: string, body: Buffer): Buffer {
  const typeAndBody = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndBody), 0);
  return Buffer.concat([length, typeAndBody, crc]);
}
