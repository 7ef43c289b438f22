import { specExample } from '@opendsp/omron-api';
import { MeasurementFormatError, normaliseEntry, normaliseResult, parseApiDateTime, parseUtcOffset } from './normalise.rules.js';

const result = (name: Parameters<typeof specExample>[0]) => specExample(name).result as unknown as Record<string, unknown>;

describe('normalising the spec example responses', () => {
  it('blood pressure', () => {
    expect(normaliseResult('blood_pressure', result('blood-pressure'))).toEqual([
      {
        upstream_id: '1644043106941',
        measured_at: '2022-02-03T16:44:13.000Z',
        local_time: '2022-02-03T16:44:13',
        utc_offset_seconds: 0,
        device_type: 'M700 Intelli IT',
        systolic_mmhg: 92,
        diastolic_mmhg: 71,
        pulse_bpm: 78,
        possible_afib: false,
      },
    ]);
  });

  it('blood pressure with possible AFib: the flag kept, the zeros stored as null', () => {
    expect(normaliseResult('blood_pressure', result('blood-pressure-afib'))).toEqual([
      {
        upstream_id: '1644043106941',
        measured_at: '2026-01-06T06:03:13.000Z',
        local_time: '2026-01-06T06:03:13',
        utc_offset_seconds: 0,
        device_type: '7 Series Upper Arm',
        systolic_mmhg: null,
        diastolic_mmhg: null,
        pulse_bpm: null,
        possible_afib: true,
      },
    ]);
  });

  it('activity with hourly data', () => {
    expect(normaliseResult('activity', result('activity-hourly'))).toEqual([
      {
        upstream_id: '1639008000000',
        measured_at: '2021-12-09T00:00:00.000Z',
        local_time: '2021-12-09T00:00:00',
        utc_offset_seconds: 0,
        device_type: 'HCR-6900T',
        steps: 0,
        aerobic_steps: 0,
        calories_kcal: 0,
        distance_km: 0,
        distance_original: 0,
        distance_unit: 'miles',
        steps_original: null,
        aerobic_steps_original: null,
        calories_original: null,
        hourly: [
          [0, 0, 0, 0, 0],
          [1, 0, 0, 0, 0],
        ],
      },
    ]);
  });

  it('weight: strings parsed, "-1.0" as null, the offset in seconds, idExt kept', () => {
    expect(normaliseResult('weight', result('weight'))).toEqual([
      {
        upstream_id: '1644225686000',
        upstream_id_ext: '1644225686000',
        measured_at: '2022-02-07T09:21:26.000Z',
        local_time: '2022-02-07T03:21:26',
        utc_offset_seconds: -21600,
        device_type: 'HN-300T2 Intelli IT',
        weight_kg: 71.6,
        weight_original: 71.6,
        weight_unit: 'kg',
        bmi: 25.52,
        body_fat_percent: null,
        skeletal_muscle_percent: null,
        visceral_fat_level: null,
        resting_metabolism_kcal: null,
      },
    ]);
  });

  it('temperature', () => {
    expect(normaliseResult('temperature', result('temperature'))).toEqual([
      {
        upstream_id: '1643907217363',
        measured_at: '2022-02-03T16:53:03.000Z',
        local_time: '2022-02-03T16:53:03',
        utc_offset_seconds: 0,
        device_type: 'model_mc_280b_e',
        temperature_c: 33.8,
        temperature_original: 33.8,
        temperature_unit: '°C',
      },
    ]);
  });

  it('oxygen', () => {
    expect(normaliseResult('oxygen', result('oxygen'))).toEqual([
      {
        upstream_id: '1643907124466',
        measured_at: '2022-02-03T16:51:29.000Z',
        local_time: '2022-02-03T16:51:29',
        utc_offset_seconds: 0,
        device_type: 'blesmart_00060002b87c6f2aeac4',
        spo2_percent: 99,
        pulse_bpm: 73,
      },
    ]);
  });

  it('an answer without entries of the kind gives no rows', () => {
    expect(normaliseResult('weight', result('oxygen'))).toEqual([]);
  });
});

describe('unit conversions keep the value as sent', () => {
  const common = {
    id: 1,
    dateTime: '2026-03-01T12:00:00',
    dateTimeLocal: '2026-03-01T07:00:00',
    dateTimeUtcOffset: '-05:00',
    deviceType: 'd',
  };

  it('lb → kg', () => {
    const row = normaliseEntry('weight', { ...common, weight: '158.0', weightPref: 'lb', bmiValue: '24.10', bodyFatPercentage: '22.5' });
    expect(row).toMatchObject({ weight_kg: 71.668, weight_original: 158, weight_unit: 'lb', bmi: 24.1, body_fat_percent: 22.5 });
    expect(row.utc_offset_seconds).toBe(-18000);
  });

  it('°F → °C', () => {
    expect(normaliseEntry('temperature', { ...common, temperature: '98.6', temperaturePref: '°F' })).toMatchObject({
      temperature_c: 37,
      temperature_original: 98.6,
      temperature_unit: '°F',
    });
  });

  it('miles → km, hourly distances in the day’s unit', () => {
    const row = normaliseEntry('activity', {
      ...common,
      steps: 5000,
      aerobicSteps: 1200,
      calories: 210,
      dailyDistance: '2.5',
      distanceUnits: 'miles',
      hourlyActivityData: [
        { hour: '07:00', distance: 1.25, aerobicSteps: 600, calories: 100, steps: 2500 },
        { hour: '06:00', distance: 1.25, aerobicSteps: 600, calories: 110, steps: 2500 },
      ],
    });
    expect(row).toMatchObject({ distance_km: 4.023, distance_original: 2.5, distance_unit: 'miles' });
    expect(row.hourly).toEqual([
      [6, 2500, 600, 110, 1.25],
      [7, 2500, 600, 100, 1.25],
    ]);
  });

  it('rounds fractional counts for the integer columns and keeps the values as sent, only when they were fractions', () => {
    const row = normaliseEntry('activity', {
      ...common,
      steps: 5000.5,
      aerobicSteps: '1200',
      calories: '209.6',
      dailyDistance: 2,
      distanceUnits: 'km',
    });
    expect(row).toMatchObject({
      steps: 5001,
      steps_original: 5000.5,
      aerobic_steps: 1200,
      aerobic_steps_original: null,
      calories_kcal: 210,
      calories_original: 209.6,
    });
  });
});

describe(parseUtcOffset.name, () => {
  it.each([
    ['+00:00', 0],
    ['+09:00', 32400],
    ['-06:00', -21600],
    ['+05:30', 19800],
    ['-21600', -21600],
    ['19800', 19800],
    ['0', 0],
    [-21600, -21600],
    ['Z', 0],
  ] as const)('%j → %d', (value, seconds) => {
    expect(parseUtcOffset(value)).toBe(seconds);
  });

  it.each(['-0600', '+19:00', '+09:60', 'UTC', '', '9h', 1.5, null, '-99999'])('refuses %j', (value) => {
    expect(parseUtcOffset(value)).toBeNull();
  });
});

describe(parseApiDateTime.name, () => {
  it('reads the API form, with or without a fraction or Z', () => {
    expect(parseApiDateTime('2022-02-03T16:44:13')?.iso).toBe('2022-02-03T16:44:13.000Z');
    expect(parseApiDateTime(' 2024-02-29T23:59:59Z ')?.iso).toBe('2024-02-29T23:59:59.000Z');
    expect(parseApiDateTime('2022-02-03T16:44:13.250Z')?.text).toBe('2022-02-03T16:44:13');
  });

  it.each([
    '2022-02-30T10:00:00',
    '2023-02-29T10:00:00',
    '1900-02-29T10:00:00',
    '2022-13-01T10:00:00',
    '2022-00-01T10:00:00',
    '2022-04-31T10:00:00',
    '2022-02-03T10:60:00',
    '2022-02-03T10:00:60',
    '2022-02-03 16:44:13',
    '2022-02-03T24:00:00',
    '2022-02-03',
    1643906653000,
  ])('refuses %j', (value) => {
    expect(parseApiDateTime(value)).toBeNull();
  });
});

describe('entries the platform cannot read', () => {
  const bp = {
    id: 5,
    dateTime: '2026-03-01T12:00:00',
    dateTimeLocal: '2026-03-01T12:00:00',
    dateTimeUtcOffset: '+00:00',
    systolic: 120,
    diastolic: 80,
    pulse: 60,
    bloodPressureUnits: 'mmHg',
    deviceType: 'd',
  };

  it.each([
    ['a systolic that is no number', { ...bp, systolic: '12x' }, 'systolic is not a number'],
    ['a fractional systolic', { ...bp, systolic: 120.5 }, 'systolic is not a whole number'],
    ['kPa', { ...bp, bloodPressureUnits: 'kPa' }, 'is not mmHg'],
    ['a dateTime that is no date-time', { ...bp, dateTime: 'yesterday' }, 'dateTime is not a date-time'],
    ['an ambiguous offset', { ...bp, dateTimeUtcOffset: '-0600' }, 'dateTimeUtcOffset is not an offset'],
    ['a negative id', { ...bp, id: -3 }, 'id is not an id'],
  ])('refuses %s', (_case, entry, message) => {
    expect(() => normaliseEntry('blood_pressure', entry)).toThrow(MeasurementFormatError);
    expect(() => normaliseEntry('blood_pressure', entry)).toThrow(message);
  });

  it('a result whose list is not a list', () => {
    expect(() => normaliseResult('oxygen', { oxygen: 'none' })).toThrow('result.oxygen is not a list');
  });
});
