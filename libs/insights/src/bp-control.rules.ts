import { addDays } from '@opendsp/time-zone';
import { calendarMonth } from './adherence.rules.js';

/** A participant's control is the mean of their blood-pressure readings in the 30 days up to a day. */
export const CONTROL_WINDOW_DAYS = 30;
/** Months the group's trend shows, the current one last. */
export const TREND_MONTHS = 12;

/** A pair of limits; a mean is under them when both its values are strictly below. */
export interface BpThreshold {
  systolic: number;
  diastolic: number;
}

/** Which participants a figure counts: every one measured in the window, or those under a threshold. */
export const CONTROL_BANDS = ['measured', 'target', 'hedis', 'uncontrolled'] as const;
export type ControlBand = (typeof CONTROL_BANDS)[number];

/** A month's window: the 30 days ending on its last day, or today for the current month. */
export interface MonthWindow {
  month: string;
  from: string;
  to: string;
}

export function monthWindow(month: string, today: string): MonthWindow {
  const { end } = calendarMonth(`${month}-01`);
  const to = end < today ? end : today;
  return { month, from: addDays(to, 1 - CONTROL_WINDOW_DAYS), to };
}

/** The last `count` months up to today's, oldest first. */
export function trendMonths(today: string, count = TREND_MONTHS): MonthWindow[] {
  const months: MonthWindow[] = [];
  let start = calendarMonth(today).start;
  for (let index = 0; index < count; index++) {
    months.unshift(monthWindow(start.slice(0, 7), today));
    start = calendarMonth(addDays(start, -1)).start;
  }
  return months;
}

export function isUnder(mean: { systolic: number; diastolic: number }, threshold: BpThreshold): boolean {
  return mean.systolic < threshold.systolic && mean.diastolic < threshold.diastolic;
}
