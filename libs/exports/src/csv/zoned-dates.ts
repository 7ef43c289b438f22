const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Seconds east of UTC of a time zone at an instant, read back from Intl (e.g. 32400 for Asia/Tokyo). */
export function zoneOffsetSeconds(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(instant);
  const offset = /GMT([+-])(\d{2}):(\d{2})/.exec(parts.find((part) => part.type === 'timeZoneName')?.value ?? '');
  return offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 3600 + Number(offset[3]) * 60) : 0;
}

/**
 * The instant a calendar day (`YYYY-MM-DD`) starts in a time zone, or undefined for anything that is not a
 * real date. Takes the zone's offset at the day's start, so days next to a DST change are right too.
 */
export function startOfDayIn(date: string, timeZone: string): Date | undefined {
  const match = DATE.exec(date);
  if (!match) return undefined;
  const utcMidnight = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(utcMidnight.getTime()) || utcMidnight.toISOString().slice(0, 10) !== date) return undefined;
  const guess = new Date(utcMidnight.getTime() - zoneOffsetSeconds(utcMidnight, timeZone) * 1000);
  return new Date(utcMidnight.getTime() - zoneOffsetSeconds(guess, timeZone) * 1000);
}

/** The calendar day (`YYYYMMDD`) an instant falls on in a time zone. */
export function compactDayIn(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((candidate) => candidate.type === type)?.value ?? '';
  return `${part('year')}${part('month')}${part('day')}`;
}
