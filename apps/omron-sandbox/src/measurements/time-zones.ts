const formatters = new Map<string, Intl.DateTimeFormat>();

/** True for names Intl knows (`UTC`, `America/Chicago`, …). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at an instant, in seconds (east positive), daylight saving included. */
export function zoneOffsetSeconds(timeZone: string, instant: Date): number {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    formatters.set(timeZone, formatter);
  }
  const name = formatter.formatToParts(instant).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?/.exec(name);
  if (!match) return 0;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0);
  return match[1] === '-' ? -seconds : seconds;
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
      offset = zoneOffsetSeconds(timeZone, new Date(quarter * QUARTER_MS));
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

/** The instant at which a zone's clocks show a wall-clock time (given as if it were UTC). */
export function wallClockToInstant(timeZone: string, wallClock: Date): Date {
  const guess = wallClock.getTime() - zoneOffsetSeconds(timeZone, wallClock) * 1000;
  // Near a daylight-saving change the offset at the guess can differ from the offset at the wall time.
  return new Date(wallClock.getTime() - zoneOffsetSeconds(timeZone, new Date(guess)) * 1000);
}
