import { generateReadings, maxReadingsInRange } from './reading-generator.js';

describe(generateReadings.name, () => {
  const range = { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-02-01T00:00:00Z') };

  it('is repeatable for a seed and spreads distinct whole-second times over the range', () => {
    const first = generateReadings({ type: 'bloodpressure', ...range, count: 500, seed: 5 });
    expect(generateReadings({ type: 'bloodpressure', ...range, count: 500, seed: 5 })).toEqual(first);
    expect(generateReadings({ type: 'bloodpressure', ...range, count: 500, seed: 6 })).not.toEqual(first);
    const times = first.map((reading) => reading.measuredAt.getTime());
    expect(new Set(times).size).toBe(500);
    expect(times.every((time) => time % 1000 === 0 && time >= range.from.getTime() && time < range.to.getTime())).toBe(true);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('gives one activity day per local midnight, with 24 hours adding up', () => {
    const days = generateReadings({ type: 'activity', ...range, count: 31, seed: 1, offsetAt: () => 9 * 3600 });
    expect(days).toHaveLength(31);
    expect(days[0].measuredAt.toISOString()).toBe('2023-12-31T15:00:00.000Z');
    for (const day of days) {
      if (day.type !== 'activity') throw new Error('activity expected');
      expect(day.values.hourly).toHaveLength(24);
      expect(day.values.hourly!.reduce((sum, hour) => sum + hour.steps, 0)).toBe(day.values.steps);
    }
  });

  it('draws ECGs whose classification follows rhythm and rate', () => {
    const recordings = generateReadings({ type: 'ecg', ...range, count: 40, seed: 3, afibRate: 0.2 });
    for (const recording of recordings) {
      if (recording.type !== 'ecg') throw new Error('ecg expected');
      expect(recording.values.waveform).toHaveLength(recording.values.samplingRate * recording.values.durationSeconds);
      if (recording.values.classification === 'bradycardia') expect(recording.values.heartRate).toBeLessThan(50);
      if (recording.values.classification === 'tachycardia') expect(recording.values.heartRate).toBeGreaterThan(100);
    }
    expect(recordings.some((recording) => recording.type === 'ecg' && recording.values.classification === 'possibleAfib')).toBe(true);
  });

  it('knows how many readings fit in a range', () => {
    expect(maxReadingsInRange('activity', range.from, range.to)).toBe(31);
    expect(maxReadingsInRange('weight', range.from, new Date('2024-01-01T00:01:00Z'))).toBe(60);
    expect(maxReadingsInRange('weight', range.to, range.from)).toBe(0);
  });
});
