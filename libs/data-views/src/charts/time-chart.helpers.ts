import { niceDomain, linearScale } from './scale.helpers.js';
import { coordinate as c, element, SvgMarkup, text } from './svg.helpers.js';
import { timeTicks, type ChartLanguage } from './time-axis.helpers.js';

export interface ChartPoint {
  at: Date;
  value: number;
  /** The reading's ID, so a test (or a reader of the source) can match a point to its table row. */
  row: string;
  /** Tooltip text. */
  title: string;
}

export interface ChartSeries {
  key: string;
  label: string;
  color: string;
  points: ChartPoint[];
  /** Join the points with a line (default true). */
  line?: boolean;
}

/** A shaded range of values, e.g. a blood-pressure guideline category. */
export interface ChartBand {
  from: number;
  to: number;
  color: string;
  label: string;
}

/** A dashed reference value, e.g. diastolic 80 mmHg. */
export interface ChartReferenceLine {
  value: number;
  color: string;
  label: string;
}

/** Events drawn in a lane above the plot (possible-AFib readings), whether or not they have a value. */
export interface ChartMarkers {
  label: string;
  color: string;
  items: { at: Date; row: string; title: string }[];
}

export interface TimeChartInput {
  /** Names the chart in `data-chart`. */
  key: string;
  title: string;
  unit: string;
  from: Date;
  to: Date;
  series: ChartSeries[];
  bands?: ChartBand[];
  referenceLines?: ChartReferenceLine[];
  markers?: ChartMarkers;
  /** Values the y axis always shows (so guideline bands stay in view). */
  include?: number[];
  timeZone: string;
  lang: ChartLanguage;
  width?: number;
  height?: number;
}

const LEFT = 52;
const BOTTOM = 26;
const LEGEND = 22;
const LANE = 18;

/**
 * A time-series chart as SVG: points at their instants (x, in the environment's time zone's calendar)
 * and values (y), lines between them, optional bands, reference lines and a marker lane. Colours are
 * presentation attributes, so the SVG looks the same printed, saved on its own, or under a strict CSP.
 * The root carries the scales (`data-x0/x1` in epoch ms, `data-y0/y1`, `data-plot`) and each point its
 * reading (`data-row`, `data-at`, `data-value`), which is how tests check the drawing against the rows.
 */
export function timeChart(input: TimeChartInput): SvgMarkup {
  const width = input.width ?? 720;
  const height = input.height ?? 250;
  const top = LEGEND + (input.markers ? LANE : 0) + 6;
  // Room on the right for the band and reference-line labels.
  const right = input.bands?.length ? 104 : input.referenceLines?.length ? 40 : 16;
  const plot = { left: LEFT, top, width: width - LEFT - right, height: height - top - BOTTOM };

  const values = input.series.flatMap((series) => series.points.map((point) => point.value));
  const { domain, ticks } = niceDomain(Math.min(...values, ...(input.include ?? [])), Math.max(...values, ...(input.include ?? [])));
  const x = linearScale([input.from.getTime(), input.to.getTime()], [plot.left, plot.left + plot.width]);
  const y = linearScale(domain, [plot.top + plot.height, plot.top]);
  const clampY = (value: number) => Math.min(plot.top + plot.height, Math.max(plot.top, y(value)));
  const clipId = `clip-${input.key}`;

  const parts: string[] = [];
  parts.push(element('title', {}, text(input.title)));
  parts.push(
    element(
      'defs',
      {},
      element('clipPath', { id: clipId }, element('rect', { x: plot.left, y: plot.top, width: plot.width, height: plot.height })),
    ),
  );
  parts.push(element('rect', { x: plot.left, y: plot.top, width: plot.width, height: plot.height, fill: '#ffffff', stroke: '#d9dee7' }));

  for (const band of input.bands ?? []) {
    const y0 = clampY(band.to);
    const y1 = clampY(band.from);
    if (y1 - y0 <= 0) continue;
    parts.push(
      element(
        'rect',
        { class: 'band', x: plot.left, y: c(y0), width: plot.width, height: c(y1 - y0), fill: band.color, 'data-band': band.label },
        element('title', {}, text(band.label)),
      ),
    );
    parts.push(element('text', { x: plot.left + plot.width + 4, y: c(y0 + 11), 'font-size': 10, fill: '#5b6575' }, text(band.label)));
  }

  for (const tick of ticks) {
    const at = c(y(tick));
    parts.push(element('line', { x1: plot.left, x2: plot.left + plot.width, y1: at, y2: at, stroke: '#eef1f5' }));
    parts.push(element('text', { x: plot.left - 6, y: c(at + 4), 'text-anchor': 'end', 'font-size': 11, fill: '#5b6575' }, text(tick)));
  }
  for (const tick of timeTicks(input.from, input.to, input.timeZone, input.lang)) {
    const at = c(x(tick.at.getTime()));
    parts.push(element('line', { x1: at, x2: at, y1: plot.top, y2: plot.top + plot.height, stroke: '#eef1f5' }));
    parts.push(
      element(
        'text',
        { x: at, y: plot.top + plot.height + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#5b6575' },
        text(tick.label),
      ),
    );
  }
  parts.push(element('text', { x: 4, y: plot.top - 6, 'font-size': 11, fill: '#5b6575' }, text(input.unit)));

  for (const line of input.referenceLines ?? []) {
    if (line.value < domain[0] || line.value > domain[1]) continue;
    const at = c(y(line.value));
    parts.push(
      element('line', {
        class: 'reference',
        x1: plot.left,
        x2: plot.left + plot.width,
        y1: at,
        y2: at,
        stroke: line.color,
        'stroke-dasharray': '4 3',
        'data-reference': line.value,
      }),
    );
    parts.push(element('text', { x: plot.left + plot.width + 4, y: c(at + 4), 'font-size': 10, fill: line.color }, text(line.label)));
  }

  for (const series of input.series) {
    const points = [...series.points].sort((a, b) => a.at.getTime() - b.at.getTime());
    if (series.line !== false && points.length > 1) {
      parts.push(
        element('polyline', {
          class: `line series-${series.key}`,
          points: points.map((point) => `${c(x(point.at.getTime()))},${c(y(point.value))}`).join(' '),
          fill: 'none',
          stroke: series.color,
          'stroke-width': 1.5,
          'clip-path': `url(#${clipId})`,
        }),
      );
    }
    const circles = points.map((point) =>
      element(
        'circle',
        {
          class: 'point',
          cx: c(x(point.at.getTime())),
          cy: c(y(point.value)),
          r: points.length > 200 ? 2 : 3,
          fill: series.color,
          'data-series': series.key,
          'data-row': point.row,
          'data-at': point.at.toISOString(),
          'data-value': point.value,
        },
        element('title', {}, text(point.title)),
      ),
    );
    parts.push(element('g', { class: `points series-${series.key}` }, ...circles));
  }

  if (input.markers) {
    // The lane is named in the legend (same colour), so it needs no label of its own.
    const laneY = LEGEND + LANE / 2 + 2;
    const markers = input.markers.items.map((item) => {
      const at = c(x(item.at.getTime()));
      return element(
        'g',
        { class: 'marker', 'data-row': item.row, 'data-at': item.at.toISOString() },
        element('line', { x1: at, x2: at, y1: laneY, y2: plot.top + plot.height, stroke: input.markers!.color, 'stroke-opacity': 0.35 }),
        element('path', { d: `M${at} ${laneY - 6}l5 6l-5 6l-5 -6z`, fill: input.markers!.color }),
        element('title', {}, text(item.title)),
      );
    });
    parts.push(element('g', { class: 'markers' }, ...markers));
  }

  let legendX = plot.left;
  const legend = [
    ...input.series.map((series) => ({ label: series.label, color: series.color })),
    ...(input.markers ? [{ label: input.markers.label, color: input.markers.color }] : []),
  ].map((item) => {
    const at = legendX;
    legendX += 26 + item.label.length * 7;
    return element(
      'g',
      {},
      element('rect', { x: at, y: 6, width: 12, height: 12, rx: 2, fill: item.color }),
      element('text', { x: at + 16, y: 16, 'font-size': 12, fill: '#1d2430' }, text(item.label)),
    );
  });
  parts.push(element('g', { class: 'legend' }, ...legend));

  return new SvgMarkup(
    element(
      'svg',
      {
        xmlns: 'http://www.w3.org/2000/svg',
        class: 'chart',
        viewBox: `0 0 ${width} ${height}`,
        role: 'img',
        'aria-label': input.title,
        'data-chart': input.key,
        'data-x0': input.from.getTime(),
        'data-x1': input.to.getTime(),
        'data-y0': domain[0],
        'data-y1': domain[1],
        'data-plot': `${plot.left} ${plot.top} ${plot.width} ${plot.height}`,
      },
      ...parts,
    ),
  );
}
