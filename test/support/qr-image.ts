import { createRequire } from 'node:module';
import QRCode from 'qrcode';

// pngjs comes with qrcode and ships no types; this is the part used here.
const { PNG } = createRequire(import.meta.url)('pngjs') as {
  PNG: { sync: { read(buffer: Buffer): { width: number; height: number; data: Buffer } } };
};

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Reads the module grid out of a QR code PNG (quiet zone of `margin` modules, square modules) and compares
 * it with the grid the QR encoder makes of `text` at the same error correction level: equal grids mean
 * the image carries exactly that text. (No QR decoder is installed; the encoder is deterministic.)
 */
export function pngEncodes(png: Buffer, text: string, options: { margin: number; errorCorrectionLevel: 'L' | 'M' | 'Q' | 'H' }): boolean {
  const image = PNG.sync.read(png);
  const expected = QRCode.create(text, { errorCorrectionLevel: options.errorCorrectionLevel }).modules;
  const modulePixels = image.width / (expected.size + 2 * options.margin);
  if (!Number.isInteger(modulePixels) || image.width !== image.height) return false;
  for (let row = 0; row < expected.size; row++) {
    for (let col = 0; col < expected.size; col++) {
      const x = Math.floor((options.margin + col + 0.5) * modulePixels);
      const y = Math.floor((options.margin + row + 0.5) * modulePixels);
      const dark = image.data[(y * image.width + x) * 4] < 128;
      if (dark !== Boolean(expected.data[row * expected.size + col])) return false;
    }
  }
  return true;
}

/** The number of modules per side an SVG QR code declares (its viewBox), quiet zone included. */
export function svgModules(svg: string): number | null {
  const match = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  return match && match[1] === match[2] ? Number(match[1]) : null;
}

/** Modules per side of the QR code of `text`, without the quiet zone. */
export function qrSize(text: string, errorCorrectionLevel: 'L' | 'M' | 'Q' | 'H'): number {
  return QRCode.create(text, { errorCorrectionLevel }).modules.size;
}

/**
 * Like `pngEncodes` for the SVG the qrcode package draws: dark modules are runs of a stroked path
 * (`M x y` moves, `m dx dy` relative moves, `h n` runs of n modules). Rebuilds the grid and compares.
 */
export function svgEncodes(svg: string, text: string, options: { margin: number; errorCorrectionLevel: 'L' | 'M' | 'Q' | 'H' }): boolean {
  const expected = QRCode.create(text, { errorCorrectionLevel: options.errorCorrectionLevel }).modules;
  const path = /<path[^>]*stroke="#000000"[^>]*d="([^"]+)"/.exec(svg)?.[1];
  if (!path || svgModules(svg) !== expected.size + 2 * options.margin) return false;
  const dark = new Set<string>();
  let x = 0;
  let y = 0;
  for (const [, command, a, b] of path.matchAll(/([MmHh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?/g)) {
    if (command === 'M') [x, y] = [Number(a), Number(b)];
    else if (command === 'm') [x, y] = [x + Number(a), y + Number(b)];
    else {
      const run = Number(a);
      for (let i = 0; i < run; i++) dark.add(`${Math.floor(y)},${x + i}`);
      x += run;
    }
  }
  for (let row = 0; row < expected.size; row++) {
    for (let col = 0; col < expected.size; col++) {
      const isDark = dark.has(`${row + options.margin},${col + options.margin}`);
      if (isDark !== Boolean(expected.data[row * expected.size + col])) return false;
    }
  }
  return dark.size === expected.data.filter(Boolean).length;
}
