import { apiDateTime, formatMeasurement, offsetHhMm, type StoredReading } from './measurement-format.js';
import { DEFAULT_PREFERENCES } from './user-preferences.entity.js';

describe(formatMeasurement.name, () => {
  const at = new Date('2022-02-07T09:21:26Z');

  it('formats times without a zone designator and offsets in both forms', () => {
    expect(apiDateTime(at.getTime())).toBe('2022-02-07T09:21:26');
    expect([offsetHhMm(0), offsetHhMm(-21600), offsetHhMm(34200)]).toEqual(['+00:00', '-06:00', '+09:30']);
  });

  it('converts weight to pounds and marks unmeasured values', () => {
    const reading: StoredReading = {
      id: 1,
      type: 'weight',
      measuredAt: at,
      utcOffsetSeconds: -21600,
      deviceType: 'HN-300T2 Intelli IT',
      values: {
        weightKg: 100,
        bmi: 30,
        bodyFatPercentage: null,
        restingMetabolism: null,
        visceralFatLevel: 10,
        skeletalMusclePercentage: null,
      },
    };
    expect(formatMeasurement(reading, { ...DEFAULT_PREFERENCES, weightUnit: 'lb' }, { includeHourly: false })).toMatchObject({
      weight: '220.5',
      weightPref: 'lb',
      bmiValue: '30.00',
      bodyFatPercentage: '-1.0',
      visceralFatLevel: '10.0',
      dateTimeLocal: '2022-02-07T03:21:26',
      dateTimeUtcOffset: '-21600',
    });
  });

  it('follows an explicit offset format preference', () => {
    const reading: StoredReading = {
      id: 2,
      type: 'temperature',
      measuredAt: at,
      utcOffsetSeconds: 3600,
      deviceType: 't',
      values: { celsius: 37 },
    };
    expect(formatMeasurement(reading, { ...DEFAULT_PREFERENCES, utcOffsetFormat: 'seconds' }, { includeHourly: false })).toMatchObject({
      dateTimeUtcOffset: '3600',
      temperature: '37.0',
      temperaturePref: '°C',
    });
  });
});
