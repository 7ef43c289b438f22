import QRCode from 'qrcode';

// Medium error correction and the standard four-module quiet zone: reliable from paper and from screens.
const OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;

/** The consent link as a QR code PNG (8 pixels per module). */
export function consentQrPng(url: string): Promise<Buffer> {
  return QRCode.toBuffer(url, { ...OPTIONS, type: 'png', scale: 8 });
}

/** The consent link as a QR code SVG (scales to any print size). */
export function consentQrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { ...OPTIONS, type: 'svg' });
}
