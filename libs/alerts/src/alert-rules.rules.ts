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
  const page = `/participants/${encodeURIComponent(ogscId)}`;
  if (!reading.measuredAt) return `${page}#connection-heading`;
  const end = zonedDay(reading.measuredAt, timeZone);
  return `${page}?days=7&end=${end}${reading.id ? `#reading-${reading.id}` : '#readings-heading'}`;
}
