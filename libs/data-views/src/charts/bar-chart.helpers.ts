import { linearScale, niceDomain } from './scale.helpers.js';
import { coordinate as c, element, SvgMarkup, text } from './svg.helpers.js';

export interface BarCategory {
  key: string;
  /** Axis label; categories whose label is empty get no tick text. */
  label: string;
}

export interface Bar {
  category: string;
  value: number;
  row: string;
  title: string;
  /** Makes the bar a link (e.g. a day's bar opens its hourly detail). */
  href?: string;
  highlighted?: boolean;
}

export interface BarChartInput {
  key: string;
  title: string;
  unit: string;
  categories: BarCategory[];
  bars: Bar[];
  color: string;
  highlightColor?: string;
  width?: number;
  height?: number;
}

const LEFT = 56;
const RIGHT = 16;
const TOP = 18;
const BOTTOM = 26;

/**
 * Bars over categories (days, hours): one slot per category in order, each bar carrying its reading
 * (`data-row`, `data-category`, `data-value`), the y scale on the root like the time chart.
 */
export function barChart(input: BarChartInput): SvgMarkup {
  const width = input.width ?? 720;
  const height = input.height ?? 220;
  const plot = { left: LEFT, top: TOP, width: width - LEFT - RIGHT, height: height - TOP - BOTTOM };
  const { domain, ticks } = niceDomain(0, Math.max(1, ...input.bars.map((bar) => bar.value)));
  const y = linearScale(domain, [plot.top + plot.height, plot.top]);
  const slot = plot.width / Math.max(1, input.categories.length);
  const index = new Map(input.categories.map((category, position) => [category.key, position]));
  const labelEvery = Math.max(1, Math.ceil(input.categories.length / 12));

  const parts: string[] = [element('title', {}, text(input.title))];
  parts.push(element('rect', { x: plot.left, y: plot.top, width: plot.width, height: plot.height, fill: '#ffffff', stroke: '#d9dee7' }));
  for (const tick of ticks) {
    const at = c(y(tick));
    parts.push(element('line', { x1: plot.left, x2: plot.left + plot.width, y1: at, y2: at, stroke: '#eef1f5' }));
    parts.push(
      element(
        'text',
        { x: plot.left - 6, y: c(at + 4), 'text-anchor': 'end', 'font-size': 11, fill: '#5b6575' },
        text(tick.toLocaleString('en-US')),
      ),
    );
  }
  input.categories.forEach((category, position) => {
    if (!category.label || position % labelEvery !== 0) return;
    parts.push(
      element(
        'text',
        {
          x: c(plot.left + slot * (position + 0.5)),
          y: plot.top + plot.height + 16,
          'text-anchor': 'middle',
          'font-size': 11,
          fill: '#5b6575',
        },
        text(category.label),
      ),
    );
  });
  parts.push(element('text', { x: 4, y: 12, 'font-size': 11, fill: '#5b6575' }, text(input.unit)));

  const bars = input.bars
    .filter((bar) => index.has(bar.category))
    .map((bar) => {
      const position = index.get(bar.category)!;
      const barWidth = Math.max(1, slot * 0.7);
      const rect = element(
        'rect',
        {
          class: 'bar',
          x: c(plot.left + slot * position + (slot - barWidth) / 2),
          y: c(y(bar.value)),
          width: c(barWidth),
          height: c(plot.top + plot.height - y(bar.value)),
          fill: bar.highlighted && input.highlightColor ? input.highlightColor : input.color,
          'data-row': bar.row,
          'data-category': bar.category,
          'data-value': bar.value,
        },
        element('title', {}, text(bar.title)),
      );
      return bar.href ? element('a', { href: bar.href }, rect) : rect;
    });
  parts.push(element('g', { class: 'bars' }, ...bars));

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
        'data-y0': domain[0],
        'data-y1': domain[1],
        'data-plot': `${plot.left} ${plot.top} ${plot.width} ${plot.height}`,
      },
      ...parts,
    ),
  );
}
