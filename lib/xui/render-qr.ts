/**
 * QR codes of share links and subscription URLs, as PNG images.
 */
import QRCode from 'qrcode';

/** Options for {@link renderQrPng}. */
export interface QrOptions {
  /** Approximate image width in pixels (rounded down to whole modules); default 512. */
  widthPx?: number;
  /** Quiet zone in modules; default 2. */
  marginModules?: number;
}

/**
 * Renders `text` as a PNG QR code (error correction M). The same input always gives the same bytes.
 * @throws Error when the text is too long for a QR code (about 2.3 kB at level M)
 */
export async function renderQrPng(text: string, options: QrOptions = {}): Promise<Buffer> {
  return QRCode.toBuffer(text, {
    type: 'png',
    errorCorrectionLevel: 'M',
    width: options.widthPx ?? 512,
    margin: options.marginModules ?? 2,
  });
}

/**
 * Renders `text` as a PNG QR code and returns it base64-encoded (no `data:` prefix).
 * @throws as renderQrPng
 */
export async function renderQrBase64(text: string, options: QrOptions = {}): Promise<string> {
  return (await renderQrPng(text, options)).toString('base64');
}
