import {
  addDays,
  daysBetween,
  parseDay,
  startOfDayIn,
  wallClockInstant,
  zonedDay,
  zonedDayStart,
  zonedParts,
  zoneOffsetSeconds,
} from './time-zone.helpers.js';

describe('time zone arithmetic', () => {
  it('finds the day an instant falls on, and the instant a day starts, in the zone', () => {
    expect(zonedDay(new Date('2026-11-23T15:30:00Z'), 'Asia/Tokyo')).toBe('2026-11-24');
    expect(zonedDay(new Date('2026-11-23T15:30:00Z'), 'America/New_York')).toBe('2026-11-23');
    expect(zonedDayStart('2026-11-24', 'Asia/Tokyo').toISOString()).toBe('2026-11-23T15:00:00.000Z');
    expect(zonedDayStart('2026-11-24', 'UTC').toISOString()).toBe('2026-11-24T00:00:00.000Z');
  });

  it('keeps days whole across daylight saving changes', () => {
    // New York: 2026-03-08 has 23 hours, 2026-11-01 has 25.
    expect(zonedDayStart('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(zonedDayStart('2026-03-09', 'America/New_York').toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(zonedDayStart('2026-11-02', 'America/New_York').getTime() - zonedDayStart('2026-11-01', 'America/New_York').getTime()).toBe(
      25 * 3_600_000,
    );
  });

  it('counts calendar days and refuses dates that do not exist', () => {
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(daysBetween('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(parseDay('2026-02-30')).toBeNull();
    expect(parseDay('2026-2-3')).toBeNull();
  });

  it('turns a day typed into a form into the instant it starts, or undefined when it is not a day', () => {
    expect(startOfDayIn('2026-11-23', 'Asia/Tokyo')).toEqual(new Date('2026-11-22T15:00:00Z'));
    expect(startOfDayIn('2026-03-09', 'America/New_York')).toEqual(new Date('2026-03-09T04:00:00Z'));
    expect(startOfDayIn('2026-02-30', 'UTC')).toBeUndefined();
    expect(startOfDayIn('yesterday', 'UTC')).toBeUndefined();
  });

  it('reads a zone’s offset, and turns wall-clock times into instants across daylight saving changes', () => {
    expect(zoneOffsetSeconds(new Date('2026-11-23T00:00:00Z'), 'Asia/Tokyo')).toBe(32_400);
    expect(zoneOffsetSeconds(new Date('2026-01-15T00:00:00Z'), 'America/St_Johns')).toBe(-12_600);
    expect(zoneOffsetSeconds(new Date('2026-07-15T00:00:00Z'), 'America/Chicago')).toBe(-18_000);
    expect(zoneOffsetSeconds(new Date('2026-07-15T00:00:00Z'), 'UTC')).toBe(0);
    expect(wallClockInstant(new Date('2026-03-08T03:30:00Z'), 'America/Chicago').toISOString()).toBe('2026-03-08T08:30:00.000Z');
    expect(wallClockInstant(new Date('2026-03-07T03:30:00Z'), 'America/Chicago').toISOString()).toBe('2026-03-07T09:30:00.000Z');
    expect(wallClockInstant(new Date('2026-11-23T09:15:30.250Z'), 'Asia/Tokyo').toISOString()).toBe('2026-11-23T00:15:30.250Z');
  });

  it('gives the same wall clock as Intl for every instant, across offset changes and odd offsets (the kept quarter hours)', () => {
    // Intl by another road: Swedish writes a date and time as `2026-03-08 01:30:00`.
    const intl = (instant: Date, timeZone: string) => {
      const [year, month, day, hour, minute, second] = instant.toLocaleString('sv-SE', { timeZone }).split(/[- :]/).map(Number);
      return { year, month, day, hour, minute, second };
    };
    const cases: [string, string][] = [
      ['America/New_York', '2026-03-08T06:30:00Z'], // clocks skip 02:00–03:00
      ['America/New_York', '2026-11-01T05:30:00Z'], // clocks go back: 01:00–02:00 twice
      ['Europe/London', '2026-03-29T00:30:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T14:30:00Z'], // a half-hour daylight saving change
      ['Asia/Kathmandu', '2026-06-01T00:00:00Z'], // +05:45
      ['America/St_Johns', '2026-11-01T03:00:00Z'], // −03:30 and its change
      ['Africa/Monrovia', '1972-01-07T00:00:00Z'], // −00:44:30 until 1972: an offset of no whole quarter hours
      ['Asia/Tokyo', '2026-12-31T14:59:00Z'],
    ];
    for (const [timeZone, around] of cases) {
      const centre = new Date(around).getTime();
      // Every 7 minutes 13 seconds for two hours each side, and the milliseconds either side of each quarter hour.
      for (let time = centre - 7_200_000; time <= centre + 7_200_000; time += 433_000) {
        const quarter = Math.floor(time / 900_000) * 900_000;
        for (const instant of [new Date(time), new Date(quarter - 1), new Date(quarter), new Date(quarter + 899_999)]) {
          expect({ timeZone, instant: instant.toISOString(), ...zonedParts(instant, timeZone) }).toEqual({
            timeZone,
            instant: instant.toISOString(),
            ...intl(instant, timeZone),
          });
        }
      }
    }
  });
});
