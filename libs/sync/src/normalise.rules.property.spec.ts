import fc from 'fast-check';
import { SPEC_EXAMPLES, specExample, type SpecExampleName } from '@opendsp/omron-api';
import { MEASUREMENT_KIND_NAMES, MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { normaliseResult, type ReadingRow } from './normalise.rules.js';

/**
 * Issue 15: measurement answers read tolerantly. Every spec example, mutated the ways OMRON's answers may
 * differ from it, still normalises (so no page becomes a dead letter), and every value lands as in the
 * unmutated example, or is null where an optional field was left out.
 */
const KIND_BY_TYPE = new Map<string, MeasurementKind>(MEASUREMENT_KIND_NAMES.map((kind) => [MEASUREMENT_KINDS[kind].upstreamType, kind]));

/** Fields an answer may leave out, per kind, and the row columns that then become null (or '' for device_type). */
const OPTIONAL: Record<string, Record<string, string[]>> = {
  blood_pressure: { pulse: ['pulse_bpm'], deviceType: ['device_type'], bloodPressureUnits: [], pulseUnits: [] },
  activity: { deviceType: ['device_type'], caloriesUnits: [], hourlyActivityData: ['hourly'] },
  weight: {
    idExt: ['upstream_id_ext'],
    deviceType: ['device_type'],
    bmiValue: ['bmi'],
    bodyFatPercentage: ['body_fat_percent'],
    skeletalMusclePercentage: ['skeletal_muscle_percent'],
    visceralFatLevel: ['visceral_fat_level'],
    restingMetabolism: ['resting_metabolism_kcal'],
  },
  temperature: { deviceType: ['device_type'] },
  oxygen: { pulse: ['pulse_bpm'], deviceType: ['device_type'] },
};
/** Counts OMRON may send with a fraction (daily and hourly). */
const COUNTS = new Set(['steps', 'aerobicSteps', 'calories']);

/** The column that keeps each daily count as sent when it was a fraction. */
const ORIGINAL_OF_COUNT: Record<string, string> = {
  steps_original: 'steps',
  aerobic_steps_original: 'aerobicSteps',
  calories_original: 'calories',
};

type Entry = Record<string, unknown>;

/** A number as a decimal string, or a numeric string as a number: both forms the spec shows. */
function flipRepresentation(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

const mutation = fc.record({
  flip: fc.boolean(),
  fraction: fc.double({ min: 0.01, max: 0.49, noNaN: true }),
  addFraction: fc.boolean(),
  unknown: fc.dictionary(
    fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !/^(id|dateTime|__proto__|constructor)/.test(key)),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 4 },
  ),
  drop: fc.subarray([
    'pulse',
    'deviceType',
    'bloodPressureUnits',
    'pulseUnits',
    'caloriesUnits',
    'hourlyActivityData',
    'idExt',
    'bmiValue',
    'bodyFatPercentage',
    'skeletalMusclePercentage',
    'visceralFatLevel',
    'restingMetabolism',
  ]),
});

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(entry: Entry, kind: string, m: Mutation): { entry: Entry; dropped: string[] } {
  const dropped = m.drop.filter((field) => field in (OPTIONAL[kind] ?? {}) && field in entry);
  const copy: Entry = { ...m.unknown };
  for (const [field, value] of Object.entries(entry)) {
    if (dropped.includes(field)) continue;
    let next: unknown = value;
    if (field === 'hourlyActivityData' && Array.isArray(value)) {
      next = value.map((hour: Entry) =>
        Object.fromEntries(
          Object.entries(hour).map(([name, item]) => [
            name,
            COUNTS.has(name) && m.addFraction ? Number(item) + m.fraction : m.flip && name !== 'hour' ? flipRepresentation(item) : item,
          ]),
        ),
      );
    } else if (COUNTS.has(field) && m.addFraction) next = Number(value) + m.fraction;
    else if (m.flip && !['dateTime', 'dateTimeLocal'].includes(field)) next = flipRepresentation(value);
    copy[field] = next;
  }
  return { entry: copy, dropped };
}

describe('normalising mutated spec examples (fast-check)', () => {
  for (const name of Object.keys(SPEC_EXAMPLES) as SpecExampleName[]) {
    const kind = KIND_BY_TYPE.get(SPEC_EXAMPLES[name])!;
    const result = specExample(name).result as unknown as Record<string, unknown>;
    const key = MEASUREMENT_KINDS[kind].resultKey;
    const [expected] = normaliseResult(kind, result) as ReadingRow[];

    it(`${name}: numbers as strings and back, fractional counts, unknown fields and missing optional fields all land`, () => {
      fc.assert(
        fc.property(mutation, (m) => {
          const { entry, dropped } = mutate((result[key] as Entry[])[0]!, kind, m);
          const [row] = normaliseResult(kind, { ...result, [key]: [entry] }) as ReadingRow[];
          const nulled = new Set(dropped.flatMap((field) => OPTIONAL[kind]![field]!));
          const sent = (result[key] as Entry[])[0]!;
          for (const [column, value] of Object.entries(expected!)) {
            const actual = (row as unknown as Record<string, unknown>)[column];
            if (nulled.has(column)) expect(actual === null || (column === 'device_type' && actual === '')).toBe(true);
            // A fractional count is rounded for its integer column, and kept as sent beside it.
            else if (ORIGINAL_OF_COUNT[column] && m.addFraction)
              expect([column, actual]).toEqual([column, Number(sent[ORIGINAL_OF_COUNT[column]]) + m.fraction]);
            else expect([column, actual]).toEqual([column, value]);
          }
        }),
        { numRuns: 200 },
      );
    });
  }
});
