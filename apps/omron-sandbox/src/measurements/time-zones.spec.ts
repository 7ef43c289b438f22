import { zoneOffsetSeconds } from '@opendsp/time-zone';
import { offsetLookup } from './time-zones.js';

describe(offsetLookup.name, () => {
  const MINUTE = 60_000;
  const from = Date.parse('2023-01-01T00:00:00Z');
  const to = Date.parse('2026-01-01T00:00:00Z');

  // Daylight saving in both hemispheres, a half-hour change (Lord Howe), odd offsets without changes.
  it.each(['America/Chicago', 'Europe/London', 'Australia/Lord_Howe', 'America/St_Johns', 'Asia/Kathmandu', 'UTC'])(
    'agrees with a direct lookup in %s, on the days the offset changes too',
    (timeZone) => {
      const lookup = offsetLookup(timeZone);
      const instants: number[] = [];
      for (let time = from; time < to; time += 97 * MINUTE + 13_000) instants.push(time);
      for (let day = from; day < to; day += 86_400_000) {
        // Every minute of a day on which the offset changes, and the last millisecond before each.
        if (zoneOffsetSeconds(new Date(day), timeZone) !== zoneOffsetSeconds(new Date(day + 86_399_999), timeZone)) {
          for (let time = day; time < day + 86_400_000; time += MINUTE) instants.push(time, time + MINUTE - 1);
        }
      }
      const wrong = instants.filter((time) => lookup(new Date(time)) !== zoneOffsetSeconds(new Date(time), timeZone));
      expect(wrong.map((time) => new Date(time).toISOString())).toEqual([]);
    },
  );
});
