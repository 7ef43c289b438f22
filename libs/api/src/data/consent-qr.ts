import QRCode, { type QRCodeToBufferOptions } from 'qrcode';

const OPTIONS = { errorCorrectionLevel: 'M', margin: 2 } as const;

/** A QR code of `text` as SVG (scales to any print size). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { ...OPTIONS, type: 'svg' });
}

/**
 * A QR code of `text` as a 512-pixel PNG. Filter type 0 ("none", passed through to pngjs): the per-row filter
 * search costs far more than it saves on a two-colour image.
 */
export function qrPng(text: string): Promise<Buffer> {
  const rendererOpts = { filterType: 0 } as QRCodeToBufferOptions['rendererOpts'];
  return QRCode.toBuffer(text, { ...OPTIONS, type: 'png', width: 512, rendererOpts });
}
