/**
 * The group's monthly control trend as server-rendered SVG: the share of measured participants under the
 * target and under the HEDIS threshold, one point per month, each point a link to the participants it counts.
 * A few lines of its own rather than libs/data-views' chart helpers: data-views sits above this room (its
 * pages may show insights), so this room cannot import it.
 */
export interface TrendPoint {
  month: string;
  measured: number;
  underTarget: number;
  underHedis: number;
}

/** Markup Handlebars prints as it is (it calls `toHTML`); every value in it went through `escapeXml`. */
export class TrendSvg {
  constructor(readonly markup: string) {}

  toHTML(): string {
    return this.markup;
  }
}

function escapeXml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const WIDTH = 640;
const HEIGHT = 220;
const LEFT = 40;
const RIGHT = 16;
const TOP = 16;
const BOTTOM = 28;

const round = (value: number): number => Math.round(value * 100) / 100;

export function share(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : null;
}

/**
 * Two lines (target: solid, HEDIS: dashed) over the months, 0–100 %; a month without measured participants
 * has no point. `link(month, band)` is each point's list. Labels come in translated.
 */
export function controlTrendChart(
  points: readonly TrendPoint[],
  link: (month: string, band: 'target' | 'hedis') => string,
  labels: { title: string; target: string; hedis: string },
): TrendSvg {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const step = points.length > 1 ? plotWidth / (points.length - 1) : 0;
  const x = (index: number): number => round(LEFT + index * step);
  const y = (percent: number): number => round(TOP + plotHeight - (percent / 100) * plotHeight);
  const parts: string[] = [];
  for (const tick of [0, 25, 50, 75, 100]) {
    parts.push(`<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="10">${tick}%</text>`);
  }
  points.forEach((point, index) => {
    parts.push(`<text x="${x(index)}" y="${HEIGHT - 8}" text-anchor="middle" font-size="10">${escapeXml(point.month)}</text>`);
  });
  for (const band of ['target', 'hedis'] as const) {
    const values = points.map((point) => share(band === 'target' ? point.underTarget : point.underHedis, point.measured));
    const color = band === 'target' ? '#1f6feb' : '#b35900';
    const segments: string[] = [];
    values.forEach((value, index) => {
      if (value === null) return;
      segments.push(`${segments.length ? 'L' : 'M'}${x(index)},${y(value)}`);
    });
    if (segments.length)
      parts.push(
        `<path d="${segments.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${band === 'hedis' ? ' stroke-dasharray="5 3"' : ''}/>`,
      );
    values.forEach((value, index) => {
      if (value === null) return;
      const point = points[index];
      const count = band === 'target' ? point.underTarget : point.underHedis;
      parts.push(
        `<a href="${escapeXml(link(point.month, band))}"><circle data-month="${escapeXml(point.month)}" data-band="${band}" data-value="${value}" data-count="${count}" cx="${x(index)}" cy="${y(value)}" r="4" fill="${color}"><title>${escapeXml(`${band === 'target' ? labels.target : labels.hedis} ${point.month}: ${value}% (${count}/${point.measured})`)}</title></circle></a>`,
      );
    });
  }
  return new TrendSvg(
    `<svg class="chart control-trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(labels.title)}" data-y0="0" data-y1="100">${parts.join('')}</svg>`,
  );
}
