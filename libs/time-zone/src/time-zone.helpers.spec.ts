import {
  addDays,
  daysBetween,
  parseDay,
  startOfDayIn,
  wallClockInstant,
  zonedDay,
  zonedDayStart,
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
});
