import { zonedDay } from '@opendsp/time-zone';

/** A blood pressure reading as the rules see it (from `ReadingsLanded`'s row: the catalogue's column names). */
export interface BloodPressureFacts {
  id: string;
  measuredAt: string;
  /** `measuredAt` in epoch milliseconds, parsed once per reading. */
  time: number;
  systolic: number | null;
  diastolic: number | null;
  possibleAfib: boolean;
}

/** The lines of one group's blood-pressure rules. */
export interface BloodPressureRules {
  bpCrisisEnabled: boolean;
  systolicAtLeast: number;
  diastolicAtLeast: number;
  afibEnabled: boolean;
}

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** The facts of a landed blood pressure row (`systolic_mmhg`, `diastolic_mmhg`, `possible_afib`, `measured_at`). */
export function bloodPressureFacts(id: string, row: Record<string, unknown>): BloodPressureFacts {
  return {
    id,
    measuredAt: String(row.measured_at),
    time: Date.parse(String(row.measured_at)),
    systolic: numberOrNull(row.systolic_mmhg),
    diastolic: numberOrNull(row.diastolic_mmhg),
    possibleAfib: row.possible_afib === true,
  };
}

/**
 * The page's highest values and whether any reading is flagged: what the rule sets are asked against, in one
 * statement. Read from the landed rows without making their facts (no date is parsed): most pages raise nothing
 * and need no more.
 */
export function landedExtremes(rows: readonly Record<string, unknown>[]): { systolic: number; diastolic: number; afib: boolean } {
  let systolic = -1;
  let diastolic = -1;
  let afib = false;
  for (const row of rows) {
    const rowSystolic = numberOrNull(row.systolic_mmhg);
    const rowDiastolic = numberOrNull(row.diastolic_mmhg);
    if (rowSystolic !== null && rowSystolic > systolic) systolic = rowSystolic;
    if (rowDiastolic !== null && rowDiastolic > diastolic) diastolic = rowDiastolic;
    afib ||= row.possible_afib === true;
  }
  return { systolic, diastolic, afib };
}

/** At or above either line (ACC/AHA 2017: "and/or"): a reading with a missing value is judged by the other. */
export function meetsCrisis(reading: BloodPressureFacts, rules: BloodPressureRules): boolean {
  return (
    (reading.systolic !== null && reading.systolic >= rules.systolicAtLeast) ||
    (reading.diastolic !== null && reading.diastolic >= rules.diastolicAtLeast)
  );
}

/** The newest of the readings that meet `predicate` (an alert links the latest one of a page); undefined: none. */
export function newestMeeting(readings: readonly BloodPressureFacts[], predicate: (reading: BloodPressureFacts) => boolean) {
  let newest: BloodPressureFacts | undefined;
  for (const reading of readings) if (predicate(reading) && (!newest || reading.time > newest.time)) newest = reading;
  return newest;
}

/** A reading of a landed page that may be the one a raised alert names (`crisisCandidates`). */
export interface CrisisCandidate {
  /** Its rank, newest first: the reading an alert names is the candidate of lowest `ord` that meets the rule. */
  ord: number;
  id: string;
  /** ISO 8601 in UTC (`toISOString`'s form). */
  measured_at: string;
  systolic: number | null;
  diastolic: number | null;
  afib: boolean;
}

/**
 * The readings of a blood pressure page that can be the newest to meet the crisis rule whatever a group's lines
 * are, and the newest flagged possible AFib, so that the lines can be applied in SQL to a handful of readings.
 * Newest first (equal times: in page order, as `newestMeeting` picks), the newest reading meeting lines (S, D) is
 * the first with systolic ≥ S or diastolic ≥ D, so its systolic or its diastolic is higher than that of every
 * reading before it: only such readings are kept (a few on a page of varied values; at most the page). Times are
 * compared as text: the normaliser writes them in `toISOString`'s form (see `newestMeasuredAt` in AlertRaising).
 */
export function crisisCandidates(readings: readonly { id: string; row: Record<string, unknown> }[]): CrisisCandidate[] {
  const times = readings.map(({ row }) => String(row.measured_at));
  let ascending = true;
  let descending = true;
  for (let index = 1; index < times.length; index++) {
    if (times[index] <= times[index - 1]) ascending = false;
    if (times[index] > times[index - 1]) descending = false;
  }
  // Pages usually come in time order, either way; only a mixed page is sorted.
  const order = readings.map((_, index) => index);
  if (ascending) order.reverse();
  else if (!descending) order.sort((a, b) => (times[a] > times[b] ? -1 : times[a] < times[b] ? 1 : a - b));
  const candidates: CrisisCandidate[] = [];
  let systolicBefore = -Infinity;
  let diastolicBefore = -Infinity;
  let flaggedBefore = false;
  for (const index of order) {
    const { id, row } = readings[index];
    const systolic = numberOrNull(row.systolic_mmhg);
    const diastolic = numberOrNull(row.diastolic_mmhg);
    const afib = row.possible_afib === true;
    const higher = (systolic !== null && systolic > systolicBefore) || (diastolic !== null && diastolic > diastolicBefore);
    if (higher || (afib && !flaggedBefore))
      candidates.push({ ord: candidates.length, id, measured_at: new Date(times[index]).toISOString(), systolic, diastolic, afib });
    if (systolic !== null && systolic > systolicBefore) systolicBefore = systolic;
    if (diastolic !== null && diastolic > diastolicBefore) diastolicBefore = diastolic;
    flaggedBefore ||= afib;
  }
  return candidates;
}

/** The participant page's path; OGSC IDs ("OG-" and Crockford base32) need no escaping in it. */
export const PARTICIPANT_PAGE_PATH = '/participants/';

/**
 * Where an alert points on the participant page: the 7-day period ending on the reading's day (in the
 * environment's time zone), anchored at the reading's row (`#reading-<id>`, highlighted by `:target`); without a
 * reading, the participant's connection.
 */
export function alertChartPath(
  ogscId: string,
  reading: { kind: string | null; id: string | null; measuredAt: Date | null },
  timeZone: string,
): string {
  return `${PARTICIPANT_PAGE_PATH}${encodeURIComponent(ogscId)}${alertChartTail(reading, timeZone)}`;
}

/** `alertChartPath` after the participant's OGSC ID: the period and the anchor. */
export function alertChartTail(reading: { id: string | null; measuredAt: Date | null }, timeZone: string): string {
  if (!reading.measuredAt) return '#connection-heading';
  const end = zonedDay(reading.measuredAt, timeZone);
  return `?days=7&end=${end}${reading.id ? `#reading-${reading.id}` : '#readings-heading'}`;
}
