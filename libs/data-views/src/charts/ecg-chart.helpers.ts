import { coordinateText, element, SvgMarkup, text } from './svg.helpers.js';

export interface EcgChartInput {
  key: string;
  title: string;
  row: string;
  samplingRateHz: number;
  /** Lead I samples in microvolts. */
  samplesUv: number[];
  secondsPerStrip?: number;
}

/** ECG paper: 25 mm per second, 10 mm per millivolt; the viewBox is in millimetres. */
export const ECG_MM_PER_SECOND = 25;
export const ECG_MM_PER_MILLIVOLT = 10;
const LEFT = 10;
const STRIP_HEIGHT = 30;
/** Where 0 mV sits in a strip, from its top (on a 5 mm line): R waves go up, so more room above. */
const BASELINE = 20;
const GAP = 5;

/** The x coordinates of a strip's samples as text, each followed by a comma, by sampling rate and strip length. */
const stripXsByShape = new Map<string, string[]>();

function stripXs(samplingRateHz: number, perStrip: number): string[] {
  const key = `${samplingRateHz}|${perStrip}`;
  let xs = stripXsByShape.get(key);
  if (!xs) {
    xs = Array.from({ length: perStrip }, (_, index) => `${coordinateText(LEFT + (index / samplingRateHz) * ECG_MM_PER_SECOND)},`);
    // Recordings come at a few rates; a map that somehow grew past a handful is simply started again.
    if (stripXsByShape.size >= 16) stripXsByShape.clear();
    stripXsByShape.set(key, xs);
  }
  return xs;
}

/**
 * An ECG recording drawn the way a clinician reads one: on 1 mm / 5 mm paper, at 25 mm/s and 10 mm/mV,
 * in strips of ten seconds. Every sample is drawn (no thinning), so the picture is the recording.
 */
export function ecgChart(input: EcgChartInput): SvgMarkup {
  const seconds = input.secondsPerStrip ?? 10;
  const perStrip = Math.max(1, Math.round(input.samplingRateHz * seconds));
  const strips = Math.max(1, Math.ceil(input.samplesUv.length / perStrip));
  const width = LEFT + seconds * ECG_MM_PER_SECOND + 2;
  const height = strips * (STRIP_HEIGHT + GAP);
  const gridId = `ecg-grid-${input.key}`;
  const mmPerMicrovolt = ECG_MM_PER_MILLIVOLT / 1000;

  const minor = [1, 2, 3, 4].map((at) => `M${at} 0V5M0 ${at}H5`).join('');
  const parts: string[] = [
    element('title', {}, text(input.title)),
    element(
      'defs',
      {},
      element(
        'pattern',
        { id: gridId, width: 5, height: 5, patternUnits: 'userSpaceOnUse' },
        element('rect', { width: 5, height: 5, fill: '#fff7f7' }),
        element('path', { d: minor, stroke: '#f6c9c9', 'stroke-width': 0.08, fill: 'none' }),
        element('path', { d: 'M0 0V5M0 0H5', stroke: '#e99a9a', 'stroke-width': 0.18, fill: 'none' }),
      ),
    ),
  ];

  for (let strip = 0; strip < strips; strip++) {
    const top = strip * (STRIP_HEIGHT + GAP);
    const first = strip * perStrip;
    const samples = input.samplesUv.slice(first, first + perStrip);
    const baseline = top + BASELINE;
    parts.push(
      element('rect', {
        x: LEFT,
        y: top,
        width: seconds * ECG_MM_PER_SECOND,
        height: STRIP_HEIGHT,
        // The pattern starts at the origin and every strip edge is on a multiple of 5 mm, so the lines meet them.
        fill: `url(#${gridId})`,
      }),
    );
    // Every strip's samples sit at the same x positions: their text (with the comma) is made once per rate and length.
    const xs = stripXs(input.samplingRateHz, perStrip);
    // Joined, not appended: one flat string instead of a rope of thousands of pieces that writing the page would
    // have to walk.
    const pairs = new Array<string>(samples.length);
    for (let index = 0; index < samples.length; index++) {
      const y = Math.min(top + STRIP_HEIGHT, Math.max(top, baseline - samples[index] * mmPerMicrovolt));
      pairs[index] = xs[index] + coordinateText(y);
    }
    const points = pairs.join(' ');
    parts.push(
      element('polyline', {
        class: 'waveform',
        points,
        fill: 'none',
        stroke: '#1d2430',
        'stroke-width': 0.25,
        'stroke-linejoin': 'round',
        'data-strip': strip,
        'data-first-sample': first,
        'data-baseline': baseline,
      }),
    );
    parts.push(element('text', { x: 0.5, y: top + 3.5, 'font-size': 2.6, fill: '#5b6575' }, text(`${strip * seconds} s`)));
  }

  return new SvgMarkup(
    element(
      'svg',
      {
        xmlns: 'http://www.w3.org/2000/svg',
        class: 'chart ecg',
        viewBox: `0 0 ${width} ${height}`,
        role: 'img',
        'aria-label': input.title,
        'data-chart': input.key,
        'data-row': input.row,
        'data-sampling-rate': input.samplingRateHz,
        'data-samples': input.samplesUv.length,
        'data-mm-per-second': ECG_MM_PER_SECOND,
        'data-mm-per-millivolt': ECG_MM_PER_MILLIVOLT,
        'data-left': LEFT,
      },
      ...parts,
    ),
  );
}
