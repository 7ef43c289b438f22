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

/**
 * `zoneOffsetSeconds` for many instants: zones change offset on quarter hours at the finest, so one
 * lookup per quarter hour serves every reading in it (a million readings need thousands of lookups, not a million).
 */
export function offsetLookup(timeZone: string): (instant: Date) => number {
  const cache = new Map<number, number>();
  return (instant) => {
    const quarter = Math.floor(instant.getTime() / 900_000);
    let offset = cache.get(quarter);
    if (offset === undefined) {
      offset = zoneOffsetSeconds(timeZone, new Date(quarter * 900_000));
      cache.set(quarter, offset);
    }
    return offset;
  };
}

/** The instant at which a zone's clocks show a wall-clock time (given as if it were UTC). */
export function wallClockToInstant(timeZone: string, wallClock: Date): Date {
  const guess = wallClock.getTime() - zoneOffsetSeconds(timeZone, wallClock) * 1000;
  // Near a daylight-saving change the offset at the guess can differ from the offset at the wall time.
  return new Date(wallClock.getTime() - zoneOffsetSeconds(timeZone, new Date(guess)) * 1000);
}
