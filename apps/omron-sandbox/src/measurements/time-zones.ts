import { zoneOffsetSeconds } from '@opendsp/time-zone';

/** True for names Intl knows (`UTC`, `America/Chicago`, …). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const QUARTER_MS = 900_000;
const DAY_MS = 86_400_000;

/**
 * `zoneOffsetSeconds` for many instants. Zones change offset on quarter hours at the finest and at most
 * once a day, so a UTC day whose first and last quarter hours share an offset has it throughout: one
 * pair of lookups serves every reading of that day (a million readings over ten years need about
 * 7,000 lookups), and only the few days with a change are looked up per quarter hour.
 */
export function offsetLookup(timeZone: string): (instant: Date) => number {
  const days = new Map<number, number | null>();
  const quarters = new Map<number, number>();
  const atQuarter = (quarter: number) => {
    let offset = quarters.get(quarter);
    if (offset === undefined) {
      offset = zoneOffsetSeconds(new Date(quarter * QUARTER_MS), timeZone);
      quarters.set(quarter, offset);
    }
    return offset;
  };
  return (instant) => {
    const time = instant.getTime();
    const day = Math.floor(time / DAY_MS);
    let offset = days.get(day);
    if (offset === undefined) {
      const first = atQuarter((day * DAY_MS) / QUARTER_MS);
      offset = first === atQuarter(((day + 1) * DAY_MS) / QUARTER_MS - 1) ? first : null;
      days.set(day, offset);
    }
    return offset ?? atQuarter(Math.floor(time / QUARTER_MS));
  };
}
