import { coordinate as c, element, SvgMarkup, text } from './svg.helpers.js';

export interface FunnelStep {
  key: string;
  label: string;
  value: number;
  /** The filtered list behind the number. */
  href: string;
  color: string;
}

const LABEL_WIDTH = 170;
const ROW = 30;

/** Horizontal bars for the enrollment funnel; each row links to the participants it counts. */
export function funnelChart(input: { key: string; title: string; steps: FunnelStep[]; lang: 'ja' | 'en'; width?: number }): SvgMarkup {
  const width = input.width ?? 720;
  const barSpace = width - LABEL_WIDTH - 90;
  const max = Math.max(1, ...input.steps.map((step) => step.value));
  const locale = input.lang === 'ja' ? 'ja-JP' : 'en-US';
  const rows = input.steps.map((step, index) => {
    const top = index * ROW;
    const barWidth = step.value > 0 ? Math.max(2, (step.value / max) * barSpace) : 0;
    return element(
      'a',
      { href: step.href, class: 'funnel-step', 'data-step': step.key, 'data-value': step.value },
      element('title', {}, text(`${step.label}: ${step.value.toLocaleString(locale)}`)),
      element('text', { x: LABEL_WIDTH - 8, y: top + 19, 'text-anchor': 'end', 'font-size': 13, fill: '#1d2430' }, text(step.label)),
      element('rect', { x: LABEL_WIDTH, y: top + 5, width: barSpace, height: 20, fill: '#f3f5f8' }),
      element('rect', { x: LABEL_WIDTH, y: top + 5, width: c(barWidth), height: 20, rx: 2, fill: step.color }),
      element(
        'text',
        { x: c(LABEL_WIDTH + barWidth + 6), y: top + 19, 'font-size': 13, 'font-weight': 600, fill: '#1f5fbf' },
        text(step.value.toLocaleString(locale)),
      ),
    );
  });
  return new SvgMarkup(
    element(
      'svg',
      {
        xmlns: 'http://www.w3.org/2000/svg',
        class: 'chart funnel',
        viewBox: `0 0 ${width} ${input.steps.length * ROW + 4}`,
        // Not role="img": that would hide the links from assistive technology.
        'aria-label': input.title,
        'data-chart': input.key,
      },
      element('title', {}, text(input.title)),
      ...rows,
    ),
  );
}
