import type { Language } from '@opendsp/config';
import { formatDateTime, translate } from '@opendsp/i18n';
import type {
  ActivityHourRow,
  ActivityRow,
  BloodPressureRow,
  EcgRow,
  OxygenRow,
  ReadingWindow,
  TemperatureRow,
  WeightRow,
} from '../participants/reading-queries.service.js';
import { barChart } from './bar-chart.helpers.js';
import { ecgChart } from './ecg-chart.helpers.js';
import type { SvgMarkup } from './svg.helpers.js';
import { timeChart, type ChartPoint } from './time-chart.helpers.js';
import { daysBetween } from '@opendsp/time-zone';
import { labelFormatter } from './time-axis.helpers.js';

export interface ChartContext {
  lang: Language;
  timeZone: string;
  window: ReadingWindow;
}

export const COLORS = {
  systolic: '#b91c1c',
  diastolic: '#1f5fbf',
  pulse: '#166534',
  afib: '#7c3aed',
  weight: '#1f5fbf',
  bodyFat: '#b45309',
  muscle: '#166534',
  steps: '#1f5fbf',
  stepsHighlight: '#b45309',
  temperature: '#b91c1c',
  spo2: '#1f5fbf',
  stage2: '#fde2e2',
  stage1: '#fdebd3',
  elevated: '#fef6d8',
  fever: '#fde2e2',
};

const fixed = (value: number, digits: number) => (Math.round(value * 10 ** digits) / 10 ** digits).toString();

/** Formatted times by instant, per context: a blood-pressure reading is a point in three series. */
const formattedTimes = new WeakMap<ChartContext, Map<number, string>>();

function when(context: ChartContext, at: Date): string {
  let cache = formattedTimes.get(context);
  if (!cache) formattedTimes.set(context, (cache = new Map()));
  let text = cache.get(at.getTime());
  if (text === undefined) cache.set(at.getTime(), (text = formatDateTime(at, context.lang, context.timeZone)));
  return text;
}

function point(context: ChartContext, row: { id: string; measuredAt: Date }, value: number, detail: string): ChartPoint {
  return { at: row.measuredAt, value, row: row.id, title: `${when(context, row.measuredAt)} · ${detail}` };
}

/**
 * Blood pressure: systolic and diastolic against the ACC/AHA 2017 categories (shaded systolic bands
 * 120/130/140, dashed diastolic lines 80/90), and possible-AFib readings as markers above the plot, since
 * OMRON sends no values for them (they arrive as 0 and are stored as null).
 */
export function bloodPressureChart(context: ChartContext, rows: BloodPressureRow[]): SvgMarkup {
  const t = (key: string, params?: Record<string, unknown>) => translate(context.lang, key, params);
  const valued = rows.filter((row) => row.systolic !== null && row.diastolic !== null);
  const detail = (row: BloodPressureRow) =>
    `${row.systolic}/${row.diastolic} mmHg${row.pulse !== null ? ` · ${row.pulse} bpm` : ''}${row.possibleAfib ? ` · ${t('readings.possible_afib')}` : ''}`;
  return timeChart({
    key: 'blood-pressure',
    title: t('readings.bp_chart_title'),
    unit: 'mmHg',
    from: context.window.from,
    to: context.window.to,
    timeZone: context.timeZone,
    lang: context.lang,
    include: [60, 150],
    series: [
      {
        key: 'systolic',
        label: t('readings.systolic'),
        color: COLORS.systolic,
        points: valued.map((row) => point(context, row, row.systolic!, detail(row))),
      },
      {
        key: 'diastolic',
        label: t('readings.diastolic'),
        color: COLORS.diastolic,
        points: valued.map((row) => point(context, row, row.diastolic!, detail(row))),
      },
    ],
    bands: [
      { from: 140, to: 400, color: COLORS.stage2, label: t('readings.bp_band_stage2') },
      { from: 130, to: 140, color: COLORS.stage1, label: t('readings.bp_band_stage1') },
      { from: 120, to: 130, color: COLORS.elevated, label: t('readings.bp_band_elevated') },
    ],
    referenceLines: [
      { value: 90, color: COLORS.diastolic, label: '90' },
      { value: 80, color: COLORS.diastolic, label: '80' },
    ],
    markers: {
      label: t('readings.possible_afib'),
      color: COLORS.afib,
      items: rows
        .filter((row) => row.possibleAfib)
        .map((row) => ({ at: row.measuredAt, row: row.id, title: `${when(context, row.measuredAt)} · ${t('readings.possible_afib')}` })),
    },
  });
}

export function pulseChart(context: ChartContext, rows: BloodPressureRow[]): SvgMarkup {
  const t = (key: string) => translate(context.lang, key);
  return timeChart({
    key: 'pulse',
    title: t('readings.pulse_chart_title'),
    unit: 'bpm',
    from: context.window.from,
    to: context.window.to,
    timeZone: context.timeZone,
    lang: context.lang,
    height: 170,
    include: [50, 100],
    series: [
      {
        key: 'pulse',
        label: t('readings.pulse'),
        color: COLORS.pulse,
        points: rows.filter((row) => row.pulse !== null).map((row) => point(context, row, row.pulse!, `${row.pulse} bpm`)),
      },
    ],
  });
}

export function weightChart(context: ChartContext, rows: WeightRow[]): SvgMarkup {
  const t = (key: string) => translate(context.lang, key);
  return timeChart({
    key: 'weight',
    title: t('readings.weight_chart_title'),
    unit: 'kg',
    from: context.window.from,
    to: context.window.to,
    timeZone: context.timeZone,
    lang: context.lang,
    height: 200,
    series: [
      {
        key: 'weight',
        label: t('readings.weight'),
        color: COLORS.weight,
        points: rows
          .filter((row) => row.weightKg !== null)
          .map((row) => point(context, row, row.weightKg!, `${fixed(row.weightKg!, 1)} kg`)),
      },
    ],
  });
}

export function bodyCompositionChart(context: ChartContext, rows: WeightRow[]): SvgMarkup {
  const t = (key: string) => translate(context.lang, key);
  return timeChart({
    key: 'body-composition',
    title: t('readings.body_chart_title'),
    unit: '%',
    from: context.window.from,
    to: context.window.to,
    timeZone: context.timeZone,
    lang: context.lang,
    height: 200,
    series: [
      {
        key: 'body-fat',
        label: t('readings.body_fat'),
        color: COLORS.bodyFat,
        points: rows
          .filter((row) => row.bodyFatPercent !== null)
          .map((row) => point(context, row, row.bodyFatPercent!, `${t('readings.body_fat')} ${fixed(row.bodyFatPercent!, 1)} %`)),
      },
      {
        key: 'skeletal-muscle',
        label: t('readings.skeletal_muscle'),
        color: COLORS.muscle,
        points: rows
          .filter((row) => row.skeletalMusclePercent !== null)
          .map((row) =>
            point(context, row, row.skeletalMusclePercent!, `${t('readings.skeletal_muscle')} ${fixed(row.skeletalMusclePercent!, 1)} %`),
          ),
      },
    ],
  });
}

/** Daily steps, one bar per day of the period (the participant's days); a bar links to its hourly detail. */
export function stepsChart(
  context: ChartContext,
  rows: ActivityRow[],
  selectedDay: string | null,
  dayHref: (day: string) => string,
): SvgMarkup {
  const t = (key: string) => translate(context.lang, key);
  const days = daysBetween(context.window.firstDay, context.window.lastDay);
  const format = labelFormatter(context.lang, 'UTC', 'day');
  return barChart({
    key: 'steps',
    title: t('readings.steps_chart_title'),
    unit: t('readings.steps_unit'),
    categories: days.map((day) => ({ key: day, label: format.format(new Date(`${day}T12:00:00Z`)) })),
    bars: rows.map((row) => ({
      category: row.day,
      value: row.steps,
      row: row.id,
      title: `${row.day} · ${row.steps.toLocaleString(context.lang === 'ja' ? 'ja-JP' : 'en-US')} ${t('readings.steps_unit')}`,
      href: dayHref(row.day),
      highlighted: row.day === selectedDay,
    })),
    color: COLORS.steps,
    highlightColor: COLORS.stepsHighlight,
  });
}

export function hourlyStepsChart(context: ChartContext, day: string, hours: ActivityHourRow[], activityId: string): SvgMarkup {
  const t = (key: string, params?: Record<string, unknown>) => translate(context.lang, key, params);
  return barChart({
    key: 'steps-hourly',
    title: t('readings.hourly_chart_title', { day }),
    unit: t('readings.steps_unit'),
    height: 180,
    categories: Array.from({ length: 24 }, (_, hour) => ({ key: String(hour), label: hour % 3 === 0 ? `${hour}:00` : '' })),
    bars: hours.map((hour) => ({
      category: String(hour.hour),
      value: hour.steps,
      row: `${activityId}:${hour.hour}`,
      title: `${day} ${hour.hour}:00 · ${hour.steps} ${t('readings.steps_unit')}`,
    })),
    color: COLORS.steps,
  });
}

export function temperatureChart(context: ChartContext, rows: TemperatureRow[]): SvgMarkup {
  const t = (key: string) => translate(context.lang, key);
  return timeChart({
    key: 'temperature',
    title: t('readings.temperature_chart_title'),
    unit: '°C',
    from: context.window.from,
    to: context.window.to,
    timeZone: context.timeZone,
    lang: context.lang,
    height: 200,
    include: [35.5, 38],
    bands: [{ from: 37.5, to: 45, color: COLORS.fever, label: t('readings.fever') }],
    series: [
      {
        key: 'temperature',
        label: t('readings.temperature'),
        color: COLORS.temperature,
        points: rows.map((row) => point(context, row, row.temperatureC, `${fixed(row.temperatureC, 1)} °C`)),
      },
    ],
  });
}

export function oxygenChart(context: ChartContext, rows: OxygenRow[]): SvgMarkup {
  const t = (key: string) => translate(context.lang, key);
  return timeChart({
    key: 'oxygen',
    title: t('readings.spo2_chart_title'),
    unit: 'SpO2 %',
    from: context.window.from,
    to: context.window.to,
    timeZone: context.timeZone,
    lang: context.lang,
    height: 200,
    include: [88, 100],
    referenceLines: [
      { value: 95, color: COLORS.spo2, label: '95' },
      { value: 90, color: COLORS.systolic, label: '90' },
    ],
    series: [
      {
        key: 'spo2',
        label: 'SpO2',
        color: COLORS.spo2,
        points: rows.map((row) => point(context, row, row.spo2Percent, `SpO2 ${row.spo2Percent} %`)),
      },
    ],
  });
}

export function ecgWaveformChart(context: ChartContext, row: EcgRow, waveform: number[]): SvgMarkup {
  return ecgChart({
    key: `ecg-${row.id}`,
    title: translate(context.lang, 'readings.ecg_chart_title', { when: when(context, row.measuredAt) }),
    row: row.id,
    samplingRateHz: row.samplingRateHz,
    samplesUv: waveform,
  });
}
