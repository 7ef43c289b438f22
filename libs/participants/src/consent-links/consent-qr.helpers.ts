import QRCode from 'qrcode';

// Medium error correction and the standard four-module quiet zone: reliable from paper and from screens.
const OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;

/**
 * PNG filter "Up" (2) for every row instead of pngjs's adaptive choice: a QR image repeats each pixel row
 * `scale` times, so "Up" compresses it well, and skipping the per-row trial of all five filters makes
 * encoding several times cheaper (it runs on the event loop). pngjs takes the option; @types/qrcode omits it.
 */
const PNG_RENDERER = { deflateLevel: 9, filterType: 2 } as { deflateLevel: number };

/** The consent link as a QR code PNG (8 pixels per module). */
export function consentQrPng(url: string): Promise<Buffer> {
  return QRCode.toBuffer(url, { ...OPTIONS, type: 'png', scale: 8, rendererOpts: PNG_RENDERER });
}

/** The consent link as a QR code SVG (scales to any print size). */
export function consentQrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { ...OPTIONS, type: 'svg' });
}
