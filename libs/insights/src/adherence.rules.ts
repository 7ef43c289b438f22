import { addDays, parseDay } from '@opendsp/time-zone';
import type { MeasurementKind } from '@opendsp/measurements';

/**
 * Days with device-transmitted physiologic data that CMS pays remote physiologic monitoring's device supply on
 * (CPT 99454): at least 16 days in each 30-day period (docs/insights.md).
 */
export const ADHERENCE_THRESHOLD_DAYS = 16;
export const ROLLING_PERIOD_DAYS = 30;

/**
 * The kinds whose readings make a day count: physiologic measurements a device sends (blood pressure, weight,
 * SpO2, temperature, ECG). Activity (steps) is left out: a pedometer's day is recorded whether or not the
 * participant took a measurement, so it would count days without one (docs/insights.md).
 */
export const ADHERENCE_KINDS: readonly MeasurementKind[] = ['blood_pressure', 'weight', 'temperature', 'oxygen', 'ecg'];

/**
 * `calendar`: the calendar month (the period clinics usually bill by). `rolling`: consecutive 30-day periods
 * from the participant's first day with a counting reading (CMS's "each 30 days" from the start of monitoring).
 */
export const ADHERENCE_PERIODS = ['calendar', 'rolling'] as const;
export type AdherencePeriod = (typeof ADHERENCE_PERIODS)[number];

export const ADHERENCE_ORDERS = ['needed_asc', 'needed_desc'] as const;
export type AdherenceOrder = (typeof ADHERENCE_ORDERS)[number];

/** Where a participant stands in the current period. */
export interface AdherenceStanding {
  /** Days still needed to reach the threshold (0 once met). */
  needed: number;
  met: boolean;
  /** Whether the threshold can still be met this period. */
  reachable: boolean;
  /**
   * The last day on which it can still be met (the date after which it no longer can): measuring on it and on
   * every day after it brings the period to the threshold. Null once met.
   */
  lastChanceDay: string | null;
}

/**
 * The standing of a participant with `counted` days in a period ending `periodEnd`, on `today`
 * (`todayCounted`: today already has a reading). Future days have no readings yet, so the last chance is
 * `periodEnd - needed + 1`; on that very day it is still open only when today is not already counted.
 */
export function adherenceStanding(counted: number, periodEnd: string, today: string, todayCounted: boolean): AdherenceStanding {
  const needed = Math.max(0, ADHERENCE_THRESHOLD_DAYS - counted);
  if (needed === 0) return { needed, met: true, reachable: true, lastChanceDay: null };
  const lastChanceDay = addDays(periodEnd, 1 - needed);
  const reachable = lastChanceDay > today || (lastChanceDay === today && !todayCounted);
  return { needed, met: false, reachable, lastChanceDay };
}

/** The calendar month holding `day`: its first and last days. */
export function calendarMonth(day: string): { start: string; end: string } {
  const parsed = parseDay(day);
  if (!parsed) throw new RangeError(`not a day: ${day}`);
  const [year, month] = parsed;
  const start = `${year}-${String(month).padStart(2, '0')}-01`;
  const end = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
  return { start, end };
}

/** The rolling period holding `today` for a participant whose first counting day is `firstDay` (none: it starts today). */
export function rollingPeriod(firstDay: string | null, today: string): { start: string; end: string } {
  if (firstDay === null || firstDay > today) return { start: firstDay ?? today, end: addDays(firstDay ?? today, ROLLING_PERIOD_DAYS - 1) };
  const elapsed = Math.round((Date.parse(today) - Date.parse(firstDay)) / 86_400_000);
  const start = addDays(firstDay, Math.floor(elapsed / ROLLING_PERIOD_DAYS) * ROLLING_PERIOD_DAYS);
  return { start, end: addDays(start, ROLLING_PERIOD_DAYS - 1) };
}
