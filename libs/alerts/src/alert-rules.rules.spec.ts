import fc from 'fast-check';
import {
  alertChartPath,
  bloodPressureFacts,
  crisisCandidates,
  landedExtremes,
  meetsCrisis,
  newestMeeting,
  type BloodPressureFacts,
} from './alert-rules.rules.js';

const lines = { bpCrisisEnabled: true, systolicAtLeast: 180, diastolicAtLeast: 120, afibEnabled: true };
const reading = (
  id: string,
  measuredAt: string,
  systolic: number | null,
  diastolic: number | null,
  possibleAfib = false,
): BloodPressureFacts => ({
  id,
  measuredAt,
  time: Date.parse(measuredAt),
  systolic,
  diastolic,
  possibleAfib,
});

describe('alert rules', () => {
  it('meets the crisis line at or above either value, judging a reading without one value by the other', () => {
    expect(meetsCrisis(reading('1', '2025-01-01T00:00:00Z', 180, 80), lines)).toBe(true);
    expect(meetsCrisis(reading('1', '2025-01-01T00:00:00Z', 179, 119), lines)).toBe(false);
    expect(meetsCrisis(reading('1', '2025-01-01T00:00:00Z', 150, 120), lines)).toBe(true);
    expect(meetsCrisis(reading('1', '2025-01-01T00:00:00Z', null, 121), lines)).toBe(true);
    expect(meetsCrisis(reading('1', '2025-01-01T00:00:00Z', null, null, true), lines)).toBe(false);
    expect(meetsCrisis(reading('1', '2025-01-01T00:00:00Z', 165, 90), { ...lines, systolicAtLeast: 160 })).toBe(true);
  });

  it("reads a landed row by the catalogue's column names; OMRON's zeros, stored as null, are no values", () => {
    expect(
      bloodPressureFacts('7', { measured_at: '2025-01-01T08:00:00.000Z', systolic_mmhg: null, diastolic_mmhg: null, possible_afib: true }),
    ).toEqual({
      id: '7',
      measuredAt: '2025-01-01T08:00:00.000Z',
      time: Date.parse('2025-01-01T08:00:00.000Z'),
      systolic: null,
      diastolic: null,
      possibleAfib: true,
    });
  });

  it("gives a page's highest values (for the one statement that reads the rule sets) and its newest reading that meets a rule", () => {
    const page = [
      reading('1', '2025-01-02T00:00:00Z', 185, 95),
      reading('2', '2025-01-03T00:00:00Z', 150, 125),
      reading('3', '2025-01-01T00:00:00Z', 200, 100),
      reading('4', '2025-01-04T00:00:00Z', null, null, true),
    ];
    const rows = page.map((facts) => ({
      systolic_mmhg: facts.systolic,
      diastolic_mmhg: facts.diastolic,
      possible_afib: facts.possibleAfib,
    }));
    expect(landedExtremes(rows)).toEqual({ systolic: 200, diastolic: 125, afib: true });
    expect(landedExtremes([])).toEqual({ systolic: -1, diastolic: -1, afib: false });
    // A missing value is no value.
    expect(landedExtremes([{ systolic_mmhg: null, diastolic_mmhg: 90, possible_afib: false }])).toEqual({
      systolic: -1,
      diastolic: 90,
      afib: false,
    });
    expect(newestMeeting(page, (r) => meetsCrisis(r, lines))?.id).toBe('2');
    expect(newestMeeting(page, (r) => r.possibleAfib)?.id).toBe('4');
    expect(newestMeeting(page.slice(0, 0), (r) => r.possibleAfib)).toBeUndefined();
  });

  it("links to the 7-day period ending on the reading's day in the environment's time zone, anchored at its row", () => {
    const at = new Date('2025-02-03T20:00:00Z');
    expect(alertChartPath('OG-1', { kind: 'blood_pressure', id: '42', measuredAt: at }, 'Asia/Tokyo')).toBe(
      '/participants/OG-1?days=7&end=2025-02-04#reading-42',
    );
    expect(alertChartPath('OG-1', { kind: 'blood_pressure', id: '42', measuredAt: at }, 'UTC')).toBe(
      '/participants/OG-1?days=7&end=2025-02-03#reading-42',
    );
    expect(alertChartPath('OG-1', { kind: null, id: null, measuredAt: at }, 'UTC')).toBe(
      '/participants/OG-1?days=7&end=2025-02-03#readings-heading',
    );
    expect(alertChartPath('OG-1', { kind: null, id: null, measuredAt: null }, 'UTC')).toBe('/participants/OG-1#connection-heading');
  });

  it('keeps, of a page, every reading that is the newest to meet some lines, and the newest flagged one (any order, ties, missing values)', () => {
    const value = (low: number, high: number) => fc.option(fc.integer({ min: low, max: high }), { freq: 6 });
    const page = fc.array(
      fc.record({
        // Few distinct times, so that ties happen; in toISOString's form, as the normaliser writes them.
        minute: fc.integer({ min: 0, max: 20 }),
        systolic: value(60, 260),
        diastolic: value(40, 160),
        afib: fc.boolean(),
      }),
      { maxLength: 60 },
    );
    const order = fc.constantFrom('as generated', 'ascending', 'descending');
    const someLines = fc.record({
      systolicAtLeast: fc.integer({ min: 100, max: 300 }),
      diastolicAtLeast: fc.integer({ min: 60, max: 200 }),
    });
    fc.assert(
      fc.property(page, order, fc.array(someLines, { minLength: 1, maxLength: 8 }), (generated, sort, lineSets) => {
        const sorted =
          sort === 'as generated'
            ? generated
            : [...generated].sort((a, b) => (sort === 'ascending' ? a.minute - b.minute : b.minute - a.minute));
        const readings = sorted.map((r, index) => ({
          id: String(index + 1),
          row: {
            measured_at: new Date(Date.UTC(2025, 0, 1, 0, r.minute)).toISOString(),
            systolic_mmhg: r.systolic,
            diastolic_mmhg: r.diastolic,
            possible_afib: r.afib,
          },
        }));
        const facts = readings.map(({ id, row }) => bloodPressureFacts(id, row));
        const candidates = crisisCandidates(readings);
        expect(candidates.map((c) => c.ord)).toEqual(candidates.map((_, index) => index));
        // The first candidate (by ord) meeting a rule is the page's newest reading meeting it, as `newestMeeting` picks.
        for (const { systolicAtLeast, diastolicAtLeast } of lineSets) {
          const rules = { ...lines, systolicAtLeast, diastolicAtLeast };
          const first = candidates.find((c) => meetsCrisis({ ...facts[0], systolic: c.systolic, diastolic: c.diastolic }, rules));
          expect(first?.id).toBe(newestMeeting(facts, (r) => meetsCrisis(r, rules))?.id);
        }
        expect(candidates.find((c) => c.afib)?.id).toBe(newestMeeting(facts, (r) => r.possibleAfib)?.id);
        for (const c of candidates) expect(c.measured_at).toBe(facts[Number(c.id) - 1].measuredAt);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps few readings of a page of varied values', () => {
    const readings = Array.from({ length: 1000 }, (_, n) => ({
      id: String(n + 1),
      row: {
        measured_at: new Date(Date.UTC(2020, 0, 1) + n * 43_200_000).toISOString(),
        systolic_mmhg: 100 + ((n * 37) % 90),
        diastolic_mmhg: 60 + ((n * 53) % 40),
        possible_afib: n % 97 === 0,
      },
    }));
    const candidates = crisisCandidates(readings);
    // Each a new high of systolic or diastolic, newest first, or the newest flagged reading: a few dozen at most.
    expect(candidates.length).toBeLessThan(50);
    // Newest first: the page's last reading leads.
    expect(candidates[0].id).toBe('1000');
  });
});
