import { barChart } from './bar-chart.helpers.js';
import { ecgChart, ECG_MM_PER_MILLIVOLT, ECG_MM_PER_SECOND } from './ecg-chart.helpers.js';
import { niceDomain } from './scale.helpers.js';
import { coordinate, coordinateText, escapeXml } from './svg.helpers.js';
import { timeTicks } from './time-axis.helpers.js';
import { timeChart } from './time-chart.helpers.js';
import { daysBetween, zonedDayStart } from '@opendsp/time-zone';

/** The attributes of every element named `tag` in some markup. */
function elements(markup: string, tag: string): Record<string, string>[] {
  return [...markup.matchAll(new RegExp(`<${tag}\\b([^>]*?)/?>`, 'g'))].map((match) =>
    Object.fromEntries([...match[1].matchAll(/([\w-:]+)="([^"]*)"/g)].map((attribute) => [attribute[1], attribute[2]])),
  );
}

describe('time axis', () => {
  it('puts axis ticks on the zone’s midnights and month starts', () => {
    const from = zonedDayStart('2026-11-01', 'Asia/Tokyo');
    const to = zonedDayStart('2026-11-08', 'Asia/Tokyo');
    const ticks = timeTicks(from, to, 'Asia/Tokyo', 'en');
    expect(ticks.map((tick) => tick.at.toISOString())).toEqual(
      daysBetween('2026-11-01', '2026-11-08').map((day) => zonedDayStart(day, 'Asia/Tokyo').toISOString()),
    );
    expect(ticks[0].label).toBe('Nov 1');
    const year = timeTicks(zonedDayStart('2026-01-01', 'UTC'), zonedDayStart('2027-01-01', 'UTC'), 'UTC', 'ja');
    expect(year).toHaveLength(13);
    expect(year[0].label).toBe('2026年1月');
    expect(year[1].label).toBe('2月');
  });
});

describe('nice scales', () => {
  it('widens a domain to round steps that cover the values', () => {
    expect(niceDomain(83, 161)).toEqual({ domain: [80, 180], ticks: [80, 100, 120, 140, 160, 180] });
    expect(niceDomain(36.1, 37.9).ticks).toEqual([36, 36.5, 37, 37.5, 38]);
    expect(niceDomain(5, 5).domain[0]).toBeLessThan(5);
  });
});

describe(timeChart.name, () => {
  const from = new Date('2026-11-01T00:00:00Z');
  const to = new Date('2026-11-11T00:00:00Z');
  const points = [
    { at: new Date('2026-11-02T07:00:00Z'), value: 132, row: '11', title: 'a' },
    { at: new Date('2026-11-05T19:30:00Z'), value: 118, row: '12', title: 'b' },
  ];

  it('places every point where its time and value say, per the scales it declares', () => {
    const svg = timeChart({
      key: 'bp',
      title: 'BP',
      unit: 'mmHg',
      from,
      to,
      timeZone: 'UTC',
      lang: 'en',
      series: [{ key: 's', label: 'S', color: '#000', points }],
    }).markup;
    const root = elements(svg, 'svg')[0];
    const [left, top, width, height] = root['data-plot'].split(' ').map(Number);
    const [x0, x1, y0, y1] = ['data-x0', 'data-x1', 'data-y0', 'data-y1'].map((name) => Number(root[name]));
    const circles = elements(svg, 'circle');
    expect(circles.map((circle) => [circle['data-row'], circle['data-value']])).toEqual([
      ['11', '132'],
      ['12', '118'],
    ]);
    for (const circle of circles) {
      const at = Date.parse(circle['data-at']);
      expect(Number(circle.cx)).toBeCloseTo(left + ((at - x0) / (x1 - x0)) * width, 1);
      expect(Number(circle.cy)).toBeCloseTo(top + height - ((Number(circle['data-value']) - y0) / (y1 - y0)) * height, 1);
    }
  });

  it('draws markers in their own lane even for readings without a value', () => {
    const svg = timeChart({
      key: 'bp',
      title: 'BP',
      unit: 'mmHg',
      from,
      to,
      timeZone: 'UTC',
      lang: 'en',
      series: [{ key: 's', label: 'S', color: '#000', points }],
      markers: { label: 'AFib', color: '#7c3aed', items: [{ at: new Date('2026-11-03T08:00:00Z'), row: '13', title: 'AFib' }] },
    }).markup;
    expect(elements(svg, 'g').filter((group) => group.class === 'marker')).toEqual([
      expect.objectContaining({ 'data-row': '13', 'data-at': '2026-11-03T08:00:00.000Z' }),
    ]);
  });

  it('escapes every label, so text from a device or a person cannot inject markup', () => {
    const svg = timeChart({
      key: 'x',
      title: '<script>alert(1)</script>',
      unit: '"><img src=x>',
      from,
      to,
      timeZone: 'UTC',
      lang: 'en',
      series: [{ key: 's', label: '</svg><b>', color: '#000', points: [{ ...points[0], title: "' onmouseover='x" }] }],
    }).markup;
    expect(svg).not.toMatch(/<script|<img|<b>|<\/svg><|onmouseover='/);
    expect(svg).toContain(escapeXml('<script>alert(1)</script>'));
  });
});

describe(barChart.name, () => {
  it('puts each bar in its category’s slot with a height that matches its value', () => {
    const svg = barChart({
      key: 'steps',
      title: 'Steps',
      unit: 'steps',
      color: '#000',
      categories: ['2026-11-01', '2026-11-02', '2026-11-03'].map((key) => ({ key, label: key })),
      bars: [
        { category: '2026-11-03', value: 9000, row: '3', title: '' },
        { category: '2026-11-01', value: 4500, row: '1', title: '' },
        { category: '2026-10-31', value: 1, row: '0', title: 'outside the period' },
      ],
    }).markup;
    const root = elements(svg, 'svg')[0];
    const [left, top, width, height] = root['data-plot'].split(' ').map(Number);
    const bars = elements(svg, 'rect').filter((rect) => rect.class === 'bar');
    expect(bars.map((bar) => bar['data-category'])).toEqual(['2026-11-03', '2026-11-01']);
    const slot = width / 3;
    expect(Number(bars[0].x)).toBeGreaterThan(left + 2 * slot);
    expect(Number(bars[1].x)).toBeLessThan(left + slot);
    const y1 = Number(root['data-y1']);
    for (const bar of bars) expect(Number(bar.height)).toBeCloseTo((Number(bar['data-value']) / y1) * height, 1);
    expect(top).toBeGreaterThan(0);
  });
});

describe(ecgChart.name, () => {
  it('draws every sample at 25 mm/s and 10 mm/mV, in ten-second strips', () => {
    const samplingRateHz = 250;
    const samplesUv = Array.from({ length: 250 * 25 }, (_, index) => Math.round(900 * Math.sin(index / 7)) + 0);
    const svg = ecgChart({ key: 'e', title: 'ECG', row: '5', samplingRateHz, samplesUv }).markup;
    const lines = elements(svg, 'polyline');
    expect(lines).toHaveLength(3);
    const decoded: number[] = [];
    for (const line of lines) {
      const baseline = Number(line['data-baseline']);
      const first = Number(line['data-first-sample']);
      line.points.split(' ').forEach((pair, index) => {
        const [x, y] = pair.split(',').map(Number);
        expect(x).toBeCloseTo(10 + (index / samplingRateHz) * ECG_MM_PER_SECOND, 2);
        decoded[first + index] = Math.round(((baseline - y) / ECG_MM_PER_MILLIVOLT) * 1000) + 0; // + 0 turns -0 into 0
      });
    }
    expect(decoded).toEqual(samplesUv);
  });
});

describe(coordinateText.name, () => {
  it('writes what String(coordinate(value)) writes, for every value a chart meets', () => {
    const values = [
      0,
      -0,
      0.004,
      0.005,
      0.05,
      0.1,
      1,
      9.99,
      9.995,
      10,
      10.1,
      12.05,
      12.5,
      100.07,
      1e6 + 0.01,
      -0.004,
      -1.25,
      -30.1,
      NaN,
      Infinity,
    ];
    // A fixed pseudo-random spread (no Math.random: a failure must repeat): ECG coordinates and chart pixels.
    let seed = 7;
    for (let index = 0; index < 20_000; index++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      values.push((seed / 2_147_483_648) * (index % 2 ? 1_000 : 40) - (index % 7 === 0 ? 20 : 0));
    }
    const differing = values.filter((value) => coordinateText(value) !== String(coordinate(value)));
    expect(differing.map((value) => [value, coordinateText(value), String(coordinate(value))])).toEqual([]);
    // And it can tell: a value written with a third decimal would be caught.
    expect(coordinateText(12.3456)).toBe('12.35');
  });
});
